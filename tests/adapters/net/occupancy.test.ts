/** The occupancy probe on ports this user may not bind: the kernel's listening sockets decide. */
import assert from "node:assert/strict";
import { bindErrorMeansFree, tcpListening } from "../../../src/adapters/net/occupancy.ts";
import { ROOT, tempDir } from "../../helpers/cli.ts";

const PROBE = new URL("../../fixtures/probe_port.ts", import.meta.url).pathname;

Deno.test("a failed bind probe: in use is taken, permission denied asks the kernel, other errors are free", () => {
  const denied = new Deno.errors.PermissionDenied("no");
  assert.equal(bindErrorMeansFree(new Deno.errors.AddrInUse("x"), () => false), false);
  assert.equal(bindErrorMeansFree(denied, () => true), false);
  assert.equal(bindErrorMeansFree(denied, () => false), true);
  assert.equal(bindErrorMeansFree(new Error("EAFNOSUPPORT"), () => true), true);
});

const LINUX = Deno.build.os === "linux";
Deno.test({
  name: `tcpListening sees a real listener on one loopback address${
    LINUX ? "" : " (ignored: reads /proc/net/tcp, Linux)"
  }`,
  ignore: !LINUX,
}, () => {
  const listener = Deno.listen({ hostname: "127.0.0.33", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    assert.equal(tcpListening(port, false), true);
  } finally {
    listener.close();
  }
  assert.equal(tcpListening(port, false), false);
});

/** A free port below 1024, or undefined. */
function freeLowPort(): number | undefined {
  for (let port = 1000; port > 900; port--) {
    try {
      Deno.listen({ hostname: "0.0.0.0", port }).close();
      return port;
    } catch { /* taken */ }
  }
  return undefined;
}

const UNPRIVILEGED_START = Number(
  await Deno.readTextFile("/proc/sys/net/ipv4/ip_unprivileged_port_start").catch(() => "1024"),
);
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});
const CAN_PROBE_AS_OTHER_USER = Deno.uid() === 0 && SETPRIV !== undefined && UNPRIVILEGED_START >= 1000;

Deno.test({
  name: `a non-root probe of a privileged port finds a root server on it, and a free one free${
    CAN_PROBE_AS_OTHER_USER ? "" : " (ignored: needs root, setpriv and privileged ports below 1024)"
  }`,
  ignore: !CAN_PROBE_AS_OTHER_USER,
}, async () => {
  const setpriv = SETPRIV as string;
  const port = freeLowPort();
  assert.ok(port !== undefined, "a free port between 901 and 1000");
  // The other user must read what it runs wherever the checkout lives (a clone in a 0700 directory is
  // unreadable to it): the probe goes into one bundled file in a world-readable temp directory under /tmp.
  const tmp = await tempDir("treehouse-test-", "/tmp");
  await Deno.chmod(tmp.path, 0o777);
  const script = `${tmp.path}/probe_port.js`;
  const bundled = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "--output", script, PROBE],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(bundled.success, new TextDecoder().decode(bundled.stderr));
  await Deno.chmod(script, 0o644);
  const probe = async () => {
    const out = await new Deno.Command(setpriv, {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        Deno.execPath(),
        "run",
        "--quiet",
        "--no-config",
        "-A", // Deno reads /proc/net/* only with all permissions, as treehouse runs
        script,
        String(port),
      ],
      env: { DENO_DIR: `${tmp.path}/deno`, HOME: tmp.path, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.ok(out.success, dec.decode(out.stderr));
    return dec.decode(out.stdout).trim();
  };
  try {
    assert.equal(await probe(), "free");
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    try {
      assert.equal(await probe(), "taken");
    } finally {
      listener.close();
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test({
  name:
    "the occupancy probe under narrower permissions than --allow-all says so instead of finding every port free",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const tmp = await tempDir();
    try {
      const script = `${tmp.path}/probe.ts`;
      const module = new URL("../../../src/adapters/net/occupancy.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { makeProbe } from "${module}";\n` +
          "try {\n" +
          '  makeProbe({ tcp: false, udp: true, ipv4: true, ipv6: false }, "linux")(5353);\n' +
          '  console.log("no error");\n' +
          "} catch (error) {\n" +
          "  console.log(`${error.name}: ${error.message}\\nhint: ${error.hint}`);\n" +
          "}\n",
      );
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--no-prompt", "--allow-read", "--allow-net", script],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.match(text, /^PermissionError: Cannot read \/proc\/net\/udp: Deno allows reading/);
      assert.match(text, /every port would look free/);
      assert.match(text, /hint: Run treehouse with --allow-all/);
    } finally {
      await tmp.cleanup();
    }
  },
});
