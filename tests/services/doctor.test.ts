import assert from "node:assert/strict";
import { formatChecks, staleAnnouncers } from "../../src/services/doctor/checks.ts";
import { cli, makeRepo, ROOT, tempDir } from "../helpers/cli.ts";

/**
 * No avahi round trip, and a pool of its own: `doctor --fix` stops announcers of pool IPs its registry
 * does not hold, which must never hit the announcers of other tests running in parallel.
 */
const QUIET = { TREEHOUSE_DOCTOR_ROUND_TRIP: "0", TREEHOUSE_POOL: "127.0.4.10-127.0.4.30" };

interface Report {
  ok: boolean;
  checks: { id: string; status: string; detail: string; fix?: string; fixed?: boolean }[];
}
const check = (report: Report, id: string) => report.checks.find((c) => c.id === id)!;

Deno.test("staleAnnouncers flags released addresses, renamed ones and orphans, and ignores other addresses", () => {
  const inPool = (ip: string) => ip.startsWith("127.0.0.");
  const allocations = [{ ip: "127.0.0.10", host: "main.local" }, { ip: "127.0.0.11", host: "b.local" }];
  const found = staleAnnouncers(
    [
      { pid: 1, ppid: 50, argv: ["avahi-publish", "-a", "-R", "main.local", "127.0.0.10"] },
      { pid: 2, ppid: 50, argv: ["/usr/bin/avahi-publish", "-a", "-R", "gone.local", "127.0.0.12"] },
      {
        pid: 3,
        ppid: 50,
        argv: ["dns-sd", "-P", "x", "_http._tcp", "local", "80", "old.local", "127.0.0.11"],
      },
      { pid: 4, ppid: 1, argv: ["avahi-publish", "-a", "-R", "main.local", "127.0.0.10"] },
      { pid: 5, ppid: 1, argv: ["avahi-publish", "-a", "-R", "printer.local", "192.168.1.9"] },
      { pid: 6, ppid: 1, argv: ["sleep", "127.0.0.12"] },
    ],
    inPool,
    allocations,
  );
  assert.deepEqual(found.map((f) => f.pid), [2, 3, 4]);
});

Deno.test("formatChecks prints the fix under each problem only", () => {
  const text = formatChecks([
    { id: "registry", status: "ok", detail: "fine" },
    { id: "hosts", status: "fail", detail: "out of sync", fix: "sudo treehouse hosts sync" },
  ]);
  assert.equal(
    text,
    "ok     registry  fine\nFAIL   hosts     out of sync\n                 fix: sudo treehouse hosts sync\n",
  );
});

Deno.test("doctor reports an out-of-sync hosts block with the sudo command, exits 12, and --fix repairs it", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const repo = await makeRepo(tmp.path);
    for (const b of ["main", "old"]) {
      assert.equal((await cli(["ip", "--branch", b, "--project", repo], { db, env: QUIET })).code, 0);
    }
    const hosts = `${tmp.path}/hosts`;
    await Deno.writeTextFile(hosts, "127.0.0.1 localhost\n");
    assert.equal((await cli(["hosts", "sync", "--file", hosts], { db, env: QUIET })).code, 0);

    const healthy = await cli(["doctor", "--json", "--hosts-file", hosts], { db, env: QUIET });
    const report: Report = JSON.parse(healthy.stdout);
    assert.equal(check(report, "hosts").status, "ok");
    assert.equal(check(report, "registry").status, "ok");
    assert.match(check(report, "registry").detail, /2 allocations/);

    assert.equal((await cli(["release", "old", "--project", repo], { db, env: QUIET })).code, 0);
    const broken = await cli(["doctor", "--hosts-file", hosts], { db, env: QUIET });
    assert.equal(broken.code, 12, broken.stderr);
    assert.match(broken.stdout, /FAIL +hosts +.*hosts block is out of sync/);
    assert.match(broken.stdout, new RegExp(`fix: sudo .* --db ${db} hosts sync --file ${hosts}`));

    const fixed = await cli(["doctor", "--fix", "--json", "--hosts-file", hosts], { db, env: QUIET });
    const after: Report = JSON.parse(fixed.stdout);
    assert.equal(check(after, "hosts").fixed, true);
    assert.ok(!(await Deno.readTextFile(hosts)).includes("old.local"));
    const again = await cli(["doctor", "--json", "--hosts-file", hosts], { db, env: QUIET });
    assert.equal(check(JSON.parse(again.stdout), "hosts").status, "ok");
    assert.match(check(JSON.parse(again.stdout), "registry").detail, /\(schema \d+, 1 allocation\)/);
    assert.match(check(JSON.parse(again.stdout), "runs").detail, /^0 live runs,/);
  } finally {
    await tmp.cleanup();
  }
});

/** Whether this machine can make a temp file immutable (`chattr +i`: root on ext4 and the like). */
function canChattr(): boolean {
  const dir = Deno.makeTempDirSync({ prefix: "treehouse-chattr-" });
  const chattr = (flag: string) =>
    new Deno.Command("chattr", { args: [flag, `${dir}/f`], stdout: "null", stderr: "null" }).outputSync()
      .success;
  try {
    Deno.writeTextFileSync(`${dir}/f`, "");
    return chattr("+i") && chattr("-i");
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "doctor fails the registry check for an immutable file (chattr +i), which mode bits and root call writable",
  // Needs chattr +i: root, on a filesystem with attributes (ext4, xfs…).
  ignore: !canChattr(),
  fn: async () => {
    const tmp = await tempDir();
    const db = `${tmp.path}/registry.db`;
    try {
      await cli(["doctor", "--fix", "--json"], { db, env: QUIET }); // creates the registry
      const before = await Deno.readFile(db);
      const chattr = (flag: string) => new Deno.Command("chattr", { args: [flag, db] }).output();
      assert.ok((await chattr("+i")).success);
      try {
        const r = await cli(["doctor", "--json"], { db, env: QUIET });
        assert.equal(r.code, 12, r.stderr);
        const registry = check(JSON.parse(r.stdout), "registry");
        assert.equal(registry.status, "fail");
        assert.match(registry.detail, /registry\.db cannot be opened for writing: Operation not permitted/);
        assert.equal(registry.fix, `chattr -i -a ${db}`);
      } finally {
        await chattr("-i");
      }
      assert.deepEqual(await Deno.readFile(db), before, "the file is not changed");
    } finally {
      await tmp.cleanup();
    }
  },
});

Deno.test("doctor names a damaged registry and a bad setting with the commands that fix them, touching nothing", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    await Deno.writeTextFile(db, "not a database at all");
    const r = await cli(["doctor", "--json"], { db, env: QUIET });
    assert.equal(r.code, 12, r.stderr);
    const registry = check(JSON.parse(r.stdout), "registry");
    assert.equal(registry.status, "fail");
    assert.match(registry.detail, /registry\.db/);
    assert.equal(
      registry.fix,
      `mv ${db} ${db}.broken   # a new registry is created on next use; the old one is kept`,
    );
    const settings = await cli(["doctor", "--json"], {
      db,
      env: { ...QUIET, TREEHOUSE_STALE_AFTER: "soon" },
    });
    assert.match(
      check(JSON.parse(settings.stdout), "settings").fix!,
      /^unset TREEHOUSE_STALE_AFTER {3}# or fix it: /,
    );
    assert.equal(await Deno.readTextFile(db), "not a database at all");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("doctor on macOS (fakes) finds missing lo0 aliases and a stale port-80 redirect", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const root = `${tmp.path}/root`;
    await Deno.mkdir(`${root}/etc/pf.anchors`, { recursive: true });
    await Deno.writeTextFile(`${root}/etc/pf.anchors/treehouse`, "# treehouse: old rules\n");
    await Deno.mkdir(`${tmp.path}/state`);
    await Deno.writeTextFile(`${tmp.path}/state/aliases`, "127.0.0.10\n");
    const env = {
      ...QUIET,
      PATH: `${ROOT}/tests/fixtures/ops/fakebin:${Deno.env.get("PATH")}`,
      TREEHOUSE_PLATFORM: "macos",
      TREEHOUSE_ROOT: root,
      TREEHOUSE_POOL: "127.0.0.10-127.0.0.12",
      FAKE_LOG: `${tmp.path}/log`,
      FAKE_STATE: `${tmp.path}/state`,
    };
    assert.equal((await cli(["ip", "--branch", "main", "--project", tmp.path], { db, env })).code, 0);
    const r = await cli(["doctor"], { db, env });
    assert.equal(r.code, 12, r.stderr);
    assert.match(
      r.stdout,
      /FAIL +pool +2 of 3 pool IPs have no lo0 alias \(e\.g\. 127\.0\.0\.11\)\n +fix: treehouse setup /,
    );
    assert.match(
      r.stdout,
      /FAIL +ports +the pf redirect is not the one for this pool.*\n +fix: treehouse setup --ports /,
    );
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("doctor finds an announcer of an address nobody holds and --fix stops it", async () => {
  const tmp = await tempDir();
  const fake = `${tmp.path}/avahi-publish`;
  await Deno.writeTextFile(fake, "#!/bin/sh\ntrap 'kill $! 2>/dev/null; exit 0' TERM\nsleep 300 &\nwait\n", {
    mode: 0o755,
  });
  // An unusual pool so announcers of other tests running in parallel are out of range.
  const env = { ...QUIET, TREEHOUSE_POOL: "127.0.3.10-127.0.3.20" }; // its own pool: see QUIET
  const child = new Deno.Command(fake, { args: ["-a", "-R", "gone.local", "127.0.3.15"] }).spawn();
  try {
    const db = `${tmp.path}/registry.db`;
    assert.equal((await cli(["ip", "--branch", "main", "--project", tmp.path], { db, env })).code, 0);
    const r = await cli(["doctor"], { db, env });
    assert.equal(r.code, 12, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `FAIL +announcers +pid ${child.pid} announces 127\\.0\\.3\\.15, which is no longer allocated`,
      ),
    );
    assert.match(r.stdout, new RegExp(`fix: kill ${child.pid}`));
    const fixed = await cli(["doctor", "--fix", "--json"], { db, env });
    assert.equal(check(JSON.parse(fixed.stdout), "announcers").fixed, true);
    const status = await child.status;
    assert.equal(status.code, 0, "the announcer was asked to stop");
  } finally {
    try {
      child.kill();
    } catch { /* stopped by doctor */ }
    await child.status;
    await tmp.cleanup();
  }
});

Deno.test("doctor on macOS (fakes) warns when the aliases exist but nothing restores them after a reboot", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    await Deno.mkdir(`${tmp.path}/state`);
    await Deno.writeTextFile(`${tmp.path}/state/aliases`, "127.0.0.10\n127.0.0.11\n");
    const env = {
      ...QUIET,
      PATH: `${ROOT}/tests/fixtures/ops/fakebin:${Deno.env.get("PATH")}`,
      TREEHOUSE_PLATFORM: "macos",
      TREEHOUSE_ROOT: `${tmp.path}/root`,
      TREEHOUSE_POOL: "127.0.0.10-127.0.0.11",
      FAKE_LOG: `${tmp.path}/log`,
      FAKE_STATE: `${tmp.path}/state`,
    };
    const before = await cli(["doctor", "--json"], { db, env });
    const pool = check(JSON.parse(before.stdout), "pool");
    assert.equal(pool.status, "warn");
    assert.match(pool.detail, /no LaunchDaemon restores them after a reboot/);
    assert.equal((await cli(["setup"], { db, env: { ...env, TREEHOUSE_SUDO: "0" } })).code, 0);
    const after = await cli(["doctor", "--json"], { db, env });
    assert.equal(check(JSON.parse(after.stdout), "pool").status, "ok");
    assert.equal(check(JSON.parse(after.stdout), "ports").status, "warn", "not set up: optional");
  } finally {
    await tmp.cleanup();
  }
});

function avahiWorks(): boolean {
  try {
    return new Deno.Command("avahi-resolve", {
          args: ["-4", "-n", "localhost.invalid"],
          stdout: "null",
          stderr: "piped",
        })
          .outputSync().stderr.length > 0 &&
      new Deno.Command("avahi-publish", { args: ["--help"], stdout: "null", stderr: "null" }).outputSync()
          .code === 0 &&
      Deno.statSync("/run/avahi-daemon/pid").isFile;
  } catch {
    return false;
  }
}

const avahi = Deno.build.os === "linux" && avahiWorks();
Deno.test({
  name: avahi
    ? "doctor announces a throwaway name with avahi-publish and resolves it back"
    : "doctor's avahi round trip ... (skipped: avahi-daemon not running or avahi-utils missing)",
  ignore: !avahi,
  fn: async () => {
    const tmp = await tempDir();
    try {
      const env = { TREEHOUSE_POOL: "127.0.5.10-127.0.5.12" };
      const r = await cli(["doctor", "--json"], { db: `${tmp.path}/registry.db`, env });
      const mdns = check(JSON.parse(r.stdout), "mdns");
      assert.equal(mdns.status, "ok", mdns.detail);
      assert.match(mdns.detail, /announced and resolved treehouse-doctor-[0-9a-f]+\.local through avahi/);
      // Only this run's probe: other test files run doctor (and its probes) at the same time.
      const name = mdns.detail.match(/treehouse-doctor-[0-9a-f]+\.local/)?.[0] ?? "treehouse-doctor-";
      const left = new Deno.Command("pgrep", { args: ["-f", name], stdout: "piped" }).outputSync();
      assert.equal(new TextDecoder().decode(left.stdout).trim(), "", "the announcer is gone");
    } finally {
      await tmp.cleanup();
    }
  },
});

Deno.test("doctor's path fix installs from a checkout with the project's deno.json, as the README says", async () => {
  const tmp = await tempDir();
  try {
    const r = await cli(["doctor", "--json"], {
      cwd: tmp.path,
      db: `${tmp.path}/registry.db`,
      env: { ...QUIET, PATH: "/usr/bin:/bin" },
    });
    const path = check(JSON.parse(r.stdout) as Report, "path");
    assert.equal(path.status, "warn", r.stderr);
    // Without `-c deno.json` the installed command ignores the import map: every command but ip/run fails.
    assert.match(path.fix ?? "", /deno install -g -f -A -c deno\.json -n treehouse main\.ts/);
  } finally {
    await tmp.cleanup();
  }
});
