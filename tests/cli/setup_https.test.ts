import assert from "node:assert/strict";
import { cli, ROOT, tempDir } from "../helpers/cli.ts";

const FAKEBIN = `${ROOT}/tests/fixtures/tls/fakebin`;
const NICK = "treehouse local CA";

async function certutil(...args: string[]) {
  const out = await new Deno.Command("certutil", { args, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

/** A temp HOME, root, state and log, and the environment that points the CLI at them. */
async function machine(platform: "linux" | "macos") {
  const tmp = await tempDir();
  const home = `${tmp.path}/home`;
  const root = `${tmp.path}/root`;
  const state = `${tmp.path}/state`;
  for (const d of [home, root, state]) await Deno.mkdir(d);
  const log = `${tmp.path}/log`;
  await Deno.writeTextFile(log, "");
  const env = {
    HOME: home,
    PATH: `${FAKEBIN}:${Deno.env.get("PATH")}`,
    TREEHOUSE_PLATFORM: platform,
    TREEHOUSE_ROOT: root,
    TREEHOUSE_SUDO: "0",
    FAKE_LOG: log,
    FAKE_STATE: state,
  };
  const run = (...args: string[]) => cli(args, { db: `${tmp.path}/data/registry.db`, env });
  const logged = async () =>
    (await Deno.readTextFile(log)).trim().split("\n").map((l) => l.trim()).filter(Boolean);
  return { tmp, home, root, state, run, logged, caFile: `${tmp.path}/data/tls/ca.pem` };
}

Deno.test("setup --https on Linux as root fills the system store and ~/.pki/nssdb; a re-run does nothing", async () => {
  const m = await machine("linux");
  try {
    const dry = await m.run("setup", "--https", "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /write .*\/usr\/local\/share\/ca-certificates\/treehouse-local-ca\.crt/);
    assert.match(dry.stderr, /certutil -d sql:.*\/\.pki\/nssdb -A -t C,, -n 'treehouse local CA'/);
    assert.match(dry.stderr, /Dry run: nothing changed/);
    assert.deepEqual(await m.logged(), []);

    const done = await m.run("setup", "--https");
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /Trusted in: system store .*, NSS database Chromium/);
    const ca = await Deno.readTextFile(m.caFile);
    assert.equal(
      await Deno.readTextFile(`${m.root}/usr/local/share/ca-certificates/treehouse-local-ca.crt`),
      ca,
    );
    assert.deepEqual(await m.logged(), ["update-ca-certificates"]);
    const listed = await certutil("-d", `sql:${m.home}/.pki/nssdb`, "-L");
    assert.match(listed.stdout, new RegExp(`${NICK}\\s+C,,`));

    const again = await m.run("setup", "--https");
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Already trusted: nothing to do/);

    const removed = await m.run("setup", "--https", "--uninstall");
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stderr, /Removed the treehouse CA from/);
    assert.equal((await certutil("-d", `sql:${m.home}/.pki/nssdb`, "-L", "-n", NICK)).code !== 0, true);
    assert.deepEqual(await m.logged(), ["update-ca-certificates", "update-ca-certificates --fresh"]);
    const nothing = await m.run("setup", "--https", "--uninstall");
    assert.match(nothing.stderr, /Nothing to uninstall/);
  } finally {
    await m.tmp.cleanup();
  }
});

Deno.test("setup --https after tls ca --renew replaces the old CA in the NSS database", async () => {
  const m = await machine("linux");
  try {
    assert.equal((await m.run("setup", "--https")).code, 0);
    assert.equal((await m.run("tls", "ca", "--renew")).code, 0);
    const again = await m.run("setup", "--https");
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /-D -n 'treehouse local CA'/);
    const pem = await certutil("-d", `sql:${m.home}/.pki/nssdb`, "-L", "-n", NICK, "-a");
    assert.equal(pem.stdout.replace(/\s+/g, ""), (await Deno.readTextFile(m.caFile)).replace(/\s+/g, ""));
  } finally {
    await m.tmp.cleanup();
  }
});

Deno.test("setup --https on macOS adds a trusted root to the System keychain through security", async () => {
  const m = await machine("macos");
  try {
    const done = await m.run("setup", "--https");
    assert.equal(done.code, 0, done.stderr);
    const log = await m.logged();
    assert.ok(log.includes(
      `security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${m.caFile}`,
    ));
    assert.match((await m.run("setup", "--https")).stderr, /Already trusted/);
    const removed = await m.run("setup", "--https", "--uninstall");
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(
      (await m.logged()).includes(
        "security delete-certificate -c treehouse local CA -t /Library/Keychains/System.keychain",
      ),
    );
  } finally {
    await m.tmp.cleanup();
  }
});

Deno.test("setup --https without certutil names the package to install", async () => {
  const m = await machine("linux");
  try {
    const out = await cli(["setup", "--https"], {
      db: `${m.tmp.path}/data/registry.db`,
      env: { HOME: m.home, PATH: `${m.tmp.path}/empty`, TREEHOUSE_ROOT: m.root, TREEHOUSE_SUDO: "0" },
    });
    assert.equal(out.code, 10, out.stderr);
    assert.match(out.stderr, /treehouse: certutil is not installed: no trust store could take the CA/);
    assert.match(out.stderr, /hint: sudo apt-get install libnss3-tools/);
  } finally {
    await m.tmp.cleanup();
  }
});

Deno.test("doctor reports each trust store: missing, then trusted with a fresh leaf verifying", async () => {
  const m = await machine("linux");
  try {
    const none = JSON.parse((await m.run("doctor", "--json")).stdout);
    assert.deepEqual(
      none.checks.filter((c: { id: string }) => c.id.startsWith("tls")).map((c: { status: string }) =>
        c.status
      ),
      ["skip"],
    );
    assert.equal((await m.run("tls", "ca")).code, 0);
    const before = JSON.parse((await m.run("doctor", "--json")).stdout);
    const tls = (r: { checks: { id: string; status: string; detail: string }[] }) =>
      r.checks.filter((c) => c.id.startsWith("tls:")).map((c) => `${c.id} ${c.status}`);
    assert.deepEqual(tls(before), ["tls:system warn", "tls:chromium warn"]);
    assert.equal((await m.run("setup", "--https")).code, 0);
    const after = JSON.parse((await m.run("doctor", "--json")).stdout);
    assert.deepEqual(tls(after), ["tls:system ok", "tls:chromium ok"]);
    assert.match(
      after.checks.find((c: { id: string }) => c.id === "tls:chromium").detail,
      /trusts the CA; a fresh leaf verifies/,
    );
  } finally {
    await m.tmp.cleanup();
  }
});

Deno.test("setup --ports on Linux writes the sysctl.d file and applies it; --uninstall undoes both", async () => {
  const m = await machine("linux");
  try {
    await Deno.mkdir(`${m.root}/proc/sys/net/ipv4`, { recursive: true });
    await Deno.writeTextFile(`${m.root}/proc/sys/net/ipv4/ip_unprivileged_port_start`, "1024\n");
    const done = await m.run("setup", "--ports");
    assert.equal(done.code, 0, done.stderr);
    assert.equal(
      await Deno.readTextFile(`${m.root}/etc/sysctl.d/50-treehouse-ports.conf`),
      "# treehouse: let dev servers' HTTPS fronts bind :80 and :443 without root (`treehouse setup --ports`)\n" +
        "net.ipv4.ip_unprivileged_port_start = 80\n",
    );
    assert.deepEqual(await m.logged(), ["sysctl -w net.ipv4.ip_unprivileged_port_start=80"]);
    assert.match((await m.run("setup", "--ports")).stderr, /already bindable: nothing to do/);
    const removed = await m.run("setup", "--ports", "--uninstall");
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual((await m.logged()).slice(1), ["sysctl -w net.ipv4.ip_unprivileged_port_start=1024"]);
    await assert.rejects(Deno.stat(`${m.root}/etc/sysctl.d/50-treehouse-ports.conf`));
  } finally {
    await m.tmp.cleanup();
  }
});
