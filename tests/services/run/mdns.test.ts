/**
 * `treehouse run`'s mDNS announcer: exact arguments of `avahi-publish` and `dns-sd` (fakes first on
 * PATH that record them), gone after every kind of exit, restarted when it dies, a warning when
 * missing, and one real announcement resolved through avahi where the daemon runs.
 */
import assert from "node:assert/strict";
import { tempDir } from "../../helpers/cli.ts";
import {
  avahiRunning,
  fakeMdnsDir,
  fakeMdnsLog,
  freePort,
  killAll,
  readPid,
  registryRow,
  runArgs,
  SERVER_CMD,
  startCli,
  waitGone,
  waitUntil,
} from "../../helpers/harness.ts";

const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Puts git (which branch detection may ask) into a PATH directory that holds nothing else of note. */
async function addGit(dir: string): Promise<void> {
  const out = await new Deno.Command("sh", { args: ["-c", "command -v git"], stdout: "piped" }).output();
  const git = new TextDecoder().decode(out.stdout).trim();
  if (git) await Deno.symlink(git, `${dir}/git`);
}

/** Starts a wrapped server with the fake announcer(s) and waits until it is ready and announced. */
async function startAnnounced(
  tmp: string,
  names: string[],
  path: (bin: string) => string,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  const bin = await fakeMdnsDir(tmp, names);
  await addGit(bin);
  const log = `${tmp}/mdns.log`;
  const pidfile = `${tmp}/pid`;
  const port = freePort();
  const run = startCli([
    ...runArgs("feature/mdns", tmp),
    "--port",
    String(port),
    "--ready",
    String(port),
    ...extra,
    "--",
    ...SERVER_CMD,
    "--pidfile",
    pidfile,
  ], { db: `${tmp}/r.db`, env: { PATH: path(bin), FAKE_MDNS_LOG: log, ...env } });
  await run.waitStderr(/ready at/);
  await waitUntil(() => fakeMdnsLog(log).length > 0, 10_000, "the announcer to start");
  const child = await readPid(pidfile);
  const row = await registryRow(`${tmp}/r.db`, "feature/mdns");
  return { run, log, port, child, ip: String(row?.ip) };
}

for (const ending of ["SIGTERM", "SIGINT", "SIGKILL"] as const) {
  Deno.test(`run announces with avahi-publish (address, IPv6 name address and service) and the announcers are gone after ${ending}`, async () => {
    const tmp = await tempDir();
    let started: Awaited<ReturnType<typeof startAnnounced>> | undefined;
    let announcers: number[] = [];
    try {
      started = await startAnnounced(tmp.path, ["avahi-publish"], (bin) => `${bin}:${SYSTEM_PATH}`);
      await waitUntil(() => fakeMdnsLog(started!.log).length === 3, 10_000, "every announcer");
      const key = (e: string[]) => e.slice(2).join(" ");
      const entries = fakeMdnsLog(started.log).sort((x, y) => key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0);
      announcers = entries.map((e) => Number(e[1]));
      assert.deepEqual(entries.map((e) => e.slice(2)), [
        ["-a", "-R", "feature-mdns.local", started.ip],
        ["-a", "-R", "feature-mdns.local", `::ffff:${started.ip}`],
        ["-s", "-H", "feature-mdns.local", "feature-mdns", "_http._tcp", String(started.port)],
      ]);
      Deno.kill(started.run.pid, ending);
      await started.run.status;
      // The watchdog (SIGKILL) or the wrapper ends them; 30 s: a loaded CI machine once took longer than 10 s.
      await waitGone([...announcers, started.child], 30_000);
      assert.equal(fakeMdnsLog(started.log).length, 3, "each started once");
    } finally {
      await started?.run.ensureDead();
      killAll([...announcers, started?.child]);
      await tmp.cleanup();
    }
  });
}

Deno.test("run announces with dns-sd -lo -P <label> _http._tcp local <port> <label>.local <ip> where dns-sd is the tool", async () => {
  const tmp = await tempDir();
  let started: Awaited<ReturnType<typeof startAnnounced>> | undefined;
  let announcer: number | undefined;
  try {
    // Only dns-sd on PATH, as on macOS.
    started = await startAnnounced(tmp.path, ["dns-sd"], (bin) => bin, ["--name", "shop"]);
    const [entry] = fakeMdnsLog(started.log);
    assert.ok(entry);
    announcer = Number(entry[1]);
    assert.equal(entry[0], "dns-sd");
    assert.deepEqual(entry.slice(2), [
      "-lo", // mdns = "local" by default: mDNSResponder's LocalOnly interface, nothing on the network
      "-P",
      "shop",
      "_http._tcp",
      "local",
      String(started.port),
      "shop.local",
      started.ip,
    ]);
    assert.match(started.run.stderr(), /Hostname shop\.local/);
    Deno.kill(started.run.pid, "SIGTERM");
    await started.run.status;
    await waitGone([announcer, started.child]);
  } finally {
    await started?.run.ensureDead();
    killAll([announcer, started?.child]);
    await tmp.cleanup();
  }
});

Deno.test("run's announcer is gone when the command exits by itself", async () => {
  const tmp = await tempDir();
  const bin = await fakeMdnsDir(tmp.path, ["avahi-publish"]);
  const log = `${tmp.path}/mdns.log`;
  const run = startCli(
    ["run", "--branch", "short", "--project", tmp.path, "--quiet", "--", ...SERVER_CMD, "--exit", "4"],
    { db: `${tmp.path}/r.db`, env: { PATH: `${bin}:${SYSTEM_PATH}`, FAKE_MDNS_LOG: log } },
  );
  const pids: number[] = [];
  try {
    assert.equal(await run.status, 4);
    for (const entry of fakeMdnsLog(log)) pids.push(Number(entry[1]));
    await waitGone(pids);
  } finally {
    await run.ensureDead();
    killAll(pids);
    await tmp.cleanup();
  }
});

Deno.test("run restarts an announcer that dies while the server runs, and says so once", async () => {
  const tmp = await tempDir();
  const bin = await fakeMdnsDir(tmp.path, ["avahi-publish"]);
  const log = `${tmp.path}/mdns.log`;
  const pidfile = `${tmp.path}/pid`;
  const port = freePort();
  const run = startCli(
    [
      ...runArgs("flappy", tmp.path),
      "--port",
      String(port),
      "--quiet",
      "--",
      ...SERVER_CMD,
      "--pidfile",
      pidfile,
    ],
    {
      db: `${tmp.path}/r.db`,
      env: { PATH: `${bin}:${SYSTEM_PATH}`, FAKE_MDNS_LOG: log, FAKE_MDNS_EXIT: "1" },
    },
  );
  let child: number | undefined;
  try {
    await run.waitStderr(
      /mDNS announcer avahi-publish exited \(fake announcer failing\); restarting it in 1s/,
    );
    // Address and service announcers, each started, then restarted after 1 s and again after 2 s.
    await waitUntil(() => fakeMdnsLog(log).length >= 6, 15_000, "restarts");
    assert.equal(run.stderr().match(/warning:/g)?.length, 1, `one warning per outage:\n${run.stderr()}`);
    child = await readPid(pidfile);
    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 143);
  } finally {
    await run.ensureDead();
    killAll([child]);
    await tmp.cleanup();
  }
});

Deno.test("run without any announcer warns once with the fix and still runs the server; --no-mdns is silent", async () => {
  const tmp = await tempDir();
  const empty = `${tmp.path}/empty`;
  await Deno.mkdir(empty);
  await addGit(empty);
  try {
    const base = ["run", "--branch", "plain", "--project", tmp.path, "--quiet"];
    const warned = startCli([...base, "--", ...SERVER_CMD, "--exit", "0"], {
      db: `${tmp.path}/r.db`,
      env: { PATH: empty },
    });
    assert.equal(await warned.status, 0);
    const lines = warned.stderr().split("\n").filter((l) => l.startsWith("warning:"));
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? "",
      /No mDNS announcer found, so plain\.local will not resolve: install it: .*avahi-daemon/,
    );
    assert.match(lines[0] ?? "", /\/etc\/hosts/);
    const silent = startCli([...base, "--no-mdns", "--", ...SERVER_CMD, "--exit", "0"], {
      db: `${tmp.path}/r.db`,
      env: { PATH: empty },
    });
    assert.equal(await silent.status, 0);
    assert.equal(silent.stderr(), "");
  } finally {
    await tmp.cleanup();
  }
});

const avahi = avahiRunning();

Deno.test({
  name: `run announces its hostname and service for real and avahi-resolve and avahi-browse find them${
    avahi ? "" : " (skipped: avahi-daemon not running or avahi-utils missing)"
  }`,
  ignore: !avahi,
  fn: async () => {
    const tmp = await tempDir();
    const label = `th-test-${Math.random().toString(36).slice(2, 8)}`;
    const port = freePort();
    const pidfile = `${tmp.path}/pid`;
    const run = startCli([
      "run",
      "--branch",
      "real-mdns",
      "--name",
      label,
      "--project",
      tmp.path,
      "--port",
      String(port),
      "--ready",
      String(port),
      "--",
      ...SERVER_CMD,
      "--pidfile",
      pidfile,
    ], { db: `${tmp.path}/r.db`, env: { TREEHOUSE_POOL: "127.0.0.200-127.0.0.220" } });
    let child: number | undefined;
    try {
      await run.waitStderr(/ready at/);
      child = await readPid(pidfile);
      const row = await registryRow(`${tmp.path}/r.db`, "real-mdns");
      let answer = "";
      await waitUntil(
        async () => {
          const out = await new Deno.Command("avahi-resolve", {
            args: ["-4", "-n", `${label}.local`],
            stdout: "piped",
            stderr: "null",
          }).output();
          answer = new TextDecoder().decode(out.stdout);
          return answer.includes(String(row?.ip));
        },
        10_000,
        `avahi-resolve -n ${label}.local`,
      );
      assert.match(answer, new RegExp(`${label}\\.local\\s+${String(row?.ip).replaceAll(".", "\\.")}`));
      let services = "";
      await waitUntil(
        async () => {
          const out = await new Deno.Command("avahi-browse", {
            args: ["-prt", "_http._tcp"],
            stdout: "piped",
            stderr: "null",
          }).output();
          services = new TextDecoder().decode(out.stdout);
          return services.includes(`;${label}.local;${row?.ip};${port};`);
        },
        10_000,
        "avahi-browse to list the _http._tcp service",
      );
      Deno.kill(run.pid, "SIGTERM");
      await run.status;
      await waitGone([child]);
    } finally {
      await run.ensureDead();
      killAll([child]);
      await tmp.cleanup();
    }
  },
});

Deno.test("with the mDNS daemon down, run warns once with a fix that fits the machine and retries quietly", async () => {
  const tmp = await tempDir();
  const bin = await fakeMdnsDir(tmp.path, ["avahi-publish"]);
  const log = `${tmp.path}/mdns.log`;
  const port = freePort();
  const run = startCli(
    [...runArgs("s2-daemon", tmp.path), "--port", String(port), "--quiet", "--", ...SERVER_CMD],
    {
      db: `${tmp.path}/r.db`,
      env: {
        PATH: `${bin}:${SYSTEM_PATH}`,
        FAKE_MDNS_LOG: log,
        FAKE_MDNS_EXIT: "1",
        FAKE_MDNS_STDERR: "Failed to create client object: Daemon not running",
        TREEHOUSE_POOL: "127.0.9.40-127.0.9.49",
      },
    },
  );
  try {
    await run.waitStderr(/avahi-daemon is not running/);
    await waitUntil(() => fakeMdnsLog(log).length >= 4, 15_000, "a retry of both announcers");
    const warnings = run.stderr().split("\n").filter((l) => l.startsWith("warning:"));
    assert.equal(warnings.length, 1, run.stderr());
    const fix = exists("/run/systemd/system")
      ? /systemctl/
      : /sudo (rc-service|service|.*avahi-daemon --daemonize)/;
    assert.match(warnings[0] ?? "", fix);
    if (!exists("/run/systemd/system")) assert.doesNotMatch(warnings[0] ?? "", /systemctl/);
    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 143);
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});

Deno.test("a name the network already answers is announced disambiguated instead, like a collision", async () => {
  const tmp = await tempDir();
  let started: Awaited<ReturnType<typeof startAnnounced>> | undefined;
  let others: number[] = [];
  try {
    started = await startAnnounced(tmp.path, ["avahi-publish"], (bin) => `${bin}:${SYSTEM_PATH}`, [], {
      FAKE_MDNS_CONFLICT: "feature-mdns.local",
    });
    await started.run.waitStderr(
      /feature-mdns\.local is already answered on the network: announcing feature-mdns-/,
    );
    await waitUntil(
      () =>
        fakeMdnsLog(started!.log).some((e) => e[2] === "-a" && e[4]?.startsWith("feature-mdns-") === true),
      10_000,
      "the new name announced",
    );
    // The announcers that took avahi's own pick (feature-mdns-2.local) are gone; ours has the registry's name.
    const first = fakeMdnsLog(started.log).filter((e) => e.includes("feature-mdns.local")).map((e) =>
      Number(e[1])
    );
    others = fakeMdnsLog(started.log).map((e) => Number(e[1]));
    await waitGone(first);
    const row = await registryRow(`${tmp.path}/r.db`, "feature/mdns");
    assert.match(String(row?.hostname), /^feature-mdns-/);
    assert.equal(started.run.stderr().match(/already answered/g)?.length, 1);
    Deno.kill(started.run.pid, "SIGTERM");
    await started.run.status;
  } finally {
    await started?.run.ensureDead();
    killAll([started?.child, ...others]);
    await tmp.cleanup();
  }
});

Deno.test("mdns = off announces nothing; an explicit local with avahi says why it cannot and what to do", async () => {
  const tmp = await tempDir();
  const bin = await fakeMdnsDir(tmp.path, ["avahi-publish"]);
  const log = `${tmp.path}/mdns.log`;
  try {
    const base = ["run", "--branch", "s2-modes", "--project", tmp.path, "--quiet"];
    const env = {
      PATH: `${bin}:${SYSTEM_PATH}`,
      FAKE_MDNS_LOG: log,
      TREEHOUSE_POOL: "127.0.9.50-127.0.9.59",
    };
    const off = startCli([...base, "--", ...SERVER_CMD, "--exit", "0"], {
      db: `${tmp.path}/r.db`,
      env: { ...env, TREEHOUSE_MDNS: "off" },
    });
    assert.equal(await off.status, 0);
    assert.equal(off.stderr(), "");
    const local = startCli([...base, "--", ...SERVER_CMD, "--exit", "0"], {
      db: `${tmp.path}/r.db`,
      env: { ...env, TREEHOUSE_MDNS: "local" },
    });
    assert.equal(await local.status, 0);
    assert.match(
      local.stderr(),
      /mdns = "local" \(env TREEHOUSE_MDNS\): avahi cannot announce to this machine only/,
    );
    assert.match(local.stderr(), /hosts sync/);
    assert.deepEqual(fakeMdnsLog(log), [], "nothing announced");
  } finally {
    await tmp.cleanup();
  }
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
