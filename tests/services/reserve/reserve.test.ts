import assert from "node:assert/strict";
import dgram from "node:dgram";
import { cli, type CliOptions, makeRepo, tempDir } from "../../helpers/cli.ts";

/** Runs `treehouse port …` with a temp registry and a HOME without configuration files. */
function port(tmp: string, args: string[], options: CliOptions = {}) {
  return cli(["port", ...args], {
    cwd: options.cwd ?? tmp,
    db: `${tmp}/registry.db`,
    env: { HOME: tmp, XDG_CONFIG_HOME: `${tmp}/xdg`, ...options.env },
  });
}

const NO_PROBE = { TREEHOUSE_PORTS_OCCUPANCY_TCP: "0", TREEHOUSE_PORTS_OCCUPANCY_UDP: "0" };

Deno.test("reserve prints just the port and gives the same key the same port every time", async () => {
  const tmp = await tempDir();
  try {
    await Deno.mkdir(`${tmp.path}/app`);
    await Deno.symlink(`${tmp.path}/app`, `${tmp.path}/link`);
    const env = { ...NO_PROBE, TREEHOUSE_PORTS_RANGE: "21000-21999" };
    const first = await port(tmp.path, ["reserve"], { cwd: `${tmp.path}/app`, env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, "21000\n");
    const again = await port(tmp.path, ["reserve", "--path", `${tmp.path}/link/`], { env });
    assert.equal(again.stdout, "21000\n", "a symlink to the directory is the same key");
    const home = await port(tmp.path, ["reserve", "--path", "~/app/../app"], { env });
    assert.equal(home.stdout, "21000\n", "~ and .. are resolved");
    const web = await port(tmp.path, ["reserve", "--tag", "web"], { cwd: `${tmp.path}/app`, env });
    assert.equal(web.stdout, "21001\n");
    const notYet = await port(tmp.path, ["reserve", "--path", `${tmp.path}/link/not-created-yet`], { env });
    assert.equal(notYet.code, 0, notYet.stderr);
    const list = await port(tmp.path, ["list", "--json"], { env });
    const rows = JSON.parse(list.stdout) as { path: string; tag: string | null; port: number }[];
    assert.deepEqual(rows.map((r) => [r.path, r.tag, r.port]), [
      [`${tmp.path}/app`, null, 21000],
      [`${tmp.path}/app`, "web", 21001],
      [`${tmp.path}/app/not-created-yet`, null, 21002],
    ]);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("project and task come from git and are sticky unless --force", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "shop", "feature/cart");
    const env = { ...NO_PROBE, TREEHOUSE_PORTS_RANGE: "22000-22999" };
    const r = await port(tmp.path, ["reserve", "--json"], { cwd: repo, env });
    assert.equal(r.code, 0, r.stderr);
    const row = JSON.parse(r.stdout);
    assert.equal(row.project, "shop");
    assert.equal(row.task, "feature/cart");
    const changed = await port(tmp.path, ["reserve", "--project", "other"], { cwd: repo, env });
    assert.equal(changed.code, 7);
    assert.match(changed.stderr, /project "shop", not "other"/);
    assert.match(changed.stderr, /--force/);
    const task = await port(tmp.path, ["reserve", "--task", "t2"], { cwd: repo, env });
    assert.equal(task.code, 7);
    assert.match(task.stderr, /--allow-task-change/);
    const allowed = await port(tmp.path, ["reserve", "--task", "t2", "--allow-task-change", "--json"], {
      cwd: repo,
      env,
    });
    assert.equal(JSON.parse(allowed.stdout).task, "t2");
    const forced = await port(tmp.path, ["reserve", "--project", "other", "--force"], { cwd: repo, env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stdout, "22000\n");
    const projects = await port(tmp.path, ["list-projects", "--json"], { env });
    assert.deepEqual(JSON.parse(projects.stdout), [{ project: "other", reservations: 1 }]);
    const byProject = await port(tmp.path, ["list", "--project", "other"], { env });
    assert.match(byProject.stdout, /22000 +- +other +t2/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("--port is preferred when free, and a taken or excluded port falls back to the scan", async () => {
  const tmp = await tempDir();
  try {
    await Deno.writeTextFile(
      `${tmp.path}/treehouse.toml`,
      '[ports]\nrange = "23000-23009"\nexclude = ["23000-23002"]\n',
    );
    const env = NO_PROBE;
    assert.equal((await port(tmp.path, ["reserve", "--tag", "a"], { env })).stdout, "23003\n");
    const ex = await port(tmp.path, ["exclude", "23004"], { env });
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal((await port(tmp.path, ["reserve", "--tag", "b"], { env })).stdout, "23005\n");
    const pref = await port(tmp.path, ["reserve", "--tag", "c", "--port", "23008"], { env });
    assert.equal(pref.stdout, "23008\n");
    const taken = await port(tmp.path, ["reserve", "--tag", "d", "--port", "23008"], { env });
    assert.equal(taken.stdout, "23009\n");
    assert.match(taken.stderr, /Port 23008 is reserved by .* \[c\]/);
    const excluded = await port(tmp.path, ["reserve", "--tag", "e", "--port", "23001"], { env });
    assert.equal(excluded.stdout, "23006\n");
    assert.match(excluded.stderr, /excluded/);
    const allowed = await port(tmp.path, ["reserve", "--tag", "f", "--port", "23001", "--allow-excluded"], {
      env,
    });
    assert.equal(allowed.stdout, "23001\n");
    const kept = await port(tmp.path, ["reserve", "--tag", "a", "--port", "23007"], { env });
    assert.equal(kept.stdout, "23003\n", "an existing reservation keeps its port without --force");
    const moved = await port(tmp.path, ["reserve", "--tag", "a", "--port", "23007", "--force"], { env });
    assert.equal(moved.stdout, "23007\n");
  } finally {
    await tmp.cleanup();
  }
});

/** A free port where the next 20 are free of reservations in a fresh registry. */
function ephemeralPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p > 65000 ? p - 100 : p;
}

Deno.test("a TCP listener on IPv4 makes its port occupied: reserve skips it and port-info names the process", async () => {
  const tmp = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const busy = (listener.addr as Deno.NetAddr).port;
    const env = { TREEHOUSE_PORTS_RANGE: `${busy}-${Math.min(busy + 20, 65535)}` };
    const r = await port(tmp.path, ["reserve", "--port", String(busy)], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(r.stdout, `${busy}\n`);
    assert.match(r.stderr, /in use now \(tcp\/ipv4/);
    const info = await port(tmp.path, ["port-info", String(busy), "--json"], { env });
    const doc = JSON.parse(info.stdout);
    assert.equal(doc.occupied, true);
    if (Deno.build.os === "linux") {
      assert.ok(doc.processes.some((p: { pid: number }) => p.pid === Deno.pid), info.stdout);
    }
    const off = await port(tmp.path, ["reserve", "--tag", "x", "--port", String(busy)], {
      // UDP off too: the port number is an ephemeral one, and another process's UDP socket may hold it.
      env: { ...env, TREEHOUSE_PORTS_OCCUPANCY_TCP: "false", TREEHOUSE_PORTS_OCCUPANCY_UDP: "false" },
    });
    assert.equal(off.stdout, `${busy}\n`, "with the TCP check off the port is taken");
    const scan = await port(tmp.path, ["scan", "--range", `${busy}-${busy}`, "--json"], { env });
    assert.deepEqual(JSON.parse(scan.stdout).map((r: { port: number }) => r.port), [busy]);
  } finally {
    listener.close();
    await tmp.cleanup();
  }
});

let ipv6 = true;
try {
  Deno.listen({ hostname: "::1", port: 0 }).close();
} catch {
  ipv6 = false;
}

Deno.test({
  name: `a TCP listener on IPv6 makes its port occupied${ipv6 ? "" : " (skipped: no IPv6 loopback)"}`,
  ignore: !ipv6,
  fn: async () => {
    const tmp = await tempDir();
    const listener = Deno.listen({ hostname: "::1", port: 0 });
    try {
      const busy = (listener.addr as Deno.NetAddr).port;
      const env = { TREEHOUSE_PORTS_RANGE: `${busy}-${Math.min(busy + 20, 65535)}` };
      const r = await port(tmp.path, ["reserve", "--port", String(busy)], { env });
      assert.notEqual(r.stdout, `${busy}\n`);
      assert.match(r.stderr, /tcp\/ipv6/);
      const off = await port(tmp.path, ["reserve", "--tag", "x", "--port", String(busy)], {
        env: { ...env, TREEHOUSE_PORTS_OCCUPANCY_IPV6: "0", TREEHOUSE_PORTS_OCCUPANCY_IPV4: "0" },
      });
      assert.equal(off.stdout, `${busy}\n`, "with the IP checks off the port is taken");
    } finally {
      listener.close();
      await tmp.cleanup();
    }
  },
});

Deno.test({
  name: `a bound UDP socket makes its port occupied${
    Deno.build.os === "linux" ? "" : " (skipped: the UDP check reads /proc/net/udp, Linux only)"
  }`,
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const tmp = await tempDir();
    let socket = dgram.createSocket("udp4");
    try {
      // A port below the kernel's ephemeral range (32768+): the test's own TCP check must find it free,
      // and outgoing connections of other tests running meanwhile take ephemeral ports.
      let busy = 0;
      for (let attempt = 0; busy === 0 && attempt < 100; attempt++) {
        const candidate = 20000 + Math.floor(Math.random() * 10000);
        busy = await new Promise<number>((resolve) => {
          const onError = () => {
            socket.close();
            socket = dgram.createSocket("udp4"); // a socket whose bind failed cannot bind again
            resolve(0);
          };
          socket.once("error", onError);
          socket.bind(candidate, "127.0.0.1", () => {
            socket.off("error", onError);
            resolve(candidate);
          });
        });
      }
      assert.notEqual(busy, 0, "no free UDP port found below the ephemeral range");
      const env = { TREEHOUSE_PORTS_RANGE: `${busy}-${Math.min(busy + 20, 65535)}` };
      const r = await port(tmp.path, ["reserve", "--port", String(busy)], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.notEqual(r.stdout, `${busy}\n`);
      assert.match(r.stderr, /udp\/ipv4/);
      const off = await port(tmp.path, ["reserve", "--tag", "x", "--port", String(busy)], {
        env: { ...env, TREEHOUSE_PORTS_OCCUPANCY_UDP: "0" },
      });
      assert.equal(off.stdout, `${busy}\n`);
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      await tmp.cleanup();
    }
  },
});

Deno.test("a full range is cleaned up once and retried, then fails with exit 5", async () => {
  const tmp = await tempDir();
  try {
    const base = ephemeralPort();
    const env = { ...NO_PROBE, TREEHOUSE_PORTS_RANGE: `${base}-${base + 1}` };
    for (const dir of ["a", "gone", "c", "d"]) await Deno.mkdir(`${tmp.path}/${dir}`);
    assert.equal((await port(tmp.path, ["reserve", "--path", "a"], { env })).stdout, `${base}\n`);
    assert.equal((await port(tmp.path, ["reserve", "--path", "gone"], { env })).stdout, `${base + 1}\n`);
    await Deno.remove(`${tmp.path}/gone`);
    const off = await port(tmp.path, ["reserve", "--path", "c"], {
      env: { ...env, TREEHOUSE_CLEANUP_ON_EXHAUSTION: "false" },
    });
    assert.equal(off.code, 5);
    assert.match(off.stderr, /automatic clean-up is off/);
    const retried = await port(tmp.path, ["reserve", "--path", "c"], { env });
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(retried.stdout, `${base + 1}\n`);
    assert.match(retried.stderr, /removed 1 stale reservation/);
    const full = await port(tmp.path, ["reserve", "--path", "d"], { env });
    assert.equal(full.code, 5);
    assert.match(full.stderr, new RegExp(`Port range ${base}-${base + 1} is exhausted: 2 reserved`));
    assert.match(full.stderr, /hint: .*TREEHOUSE_PORTS_RANGE=/);
    assert.equal(full.stdout, "");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("release removes one reservation (exit 3 when there is none) or a whole tree with --recursive", async () => {
  const tmp = await tempDir();
  try {
    const env = { ...NO_PROBE, TREEHOUSE_PORTS_RANGE: "24000-24999" };
    await Deno.mkdir(`${tmp.path}/p/sub`, { recursive: true });
    await port(tmp.path, ["reserve", "--path", "p"], { env });
    await port(tmp.path, ["reserve", "--path", "p", "--tag", "web"], { env });
    await port(tmp.path, ["reserve", "--path", "p/sub"], { env });
    await port(tmp.path, ["reserve", "--path", "p2"], { env });
    const one = await port(tmp.path, ["release", "--path", "p", "--tag", "web"], { env });
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stderr, /Released port 24001/);
    const none = await port(tmp.path, ["release", "--path", "p", "--tag", "web"], { env });
    assert.equal(none.code, 3);
    const tree = await port(tmp.path, ["release", "--path", "p", "--recursive", "--json"], { env });
    assert.deepEqual(JSON.parse(tree.stdout).map((r: { port: number }) => r.port), [24000, 24002]);
    const left = await port(tmp.path, ["list", "--json"], { env });
    assert.deepEqual(JSON.parse(left.stdout).map((r: { path: string }) => r.path), [`${tmp.path}/p2`]);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("every port command documents itself with examples", async () => {
  const tmp = await tempDir();
  try {
    const help = await cli(["port", "--help"], { db: `${tmp.path}/r.db` });
    assert.equal(help.code, 0, help.stderr);
    const commands = [
      "reserve",
      "release",
      "list",
      "list-projects",
      "info",
      "scan",
      "reserve-group",
      "autoreserve",
      "prune",
      "expire",
      "autoclean",
      "exclude",
      "compact-exclusions",
      "migrate",
      "assert-reservation",
      "assert-port",
      "assert-data-dir",
      "show-data-dir",
      "show-path",
      "validate",
      "init",
    ];
    for (const c of commands) assert.match(help.stdout, new RegExp(`^  ${c} `, "m"), c);
    const results = await Promise.all(
      ["reserve", "port-info", "migrate"].map((c) => cli(["port", c, "--help"], { db: `${tmp.path}/r.db` })),
    );
    for (const r of [...results, await cli(["config", "--help"], { db: `${tmp.path}/r.db` })]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Examples:\n {2}treehouse /);
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("treehouse run passes the project group's ports to its child", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "site");
    await Deno.writeTextFile(
      `${repo}/treehouse.toml`,
      '[group]\nbase = 26000\n[group.web]\noffset = 0\n[group.db]\noffset = 1\nenv = "PGPORT"\n',
    );
    const r = await cli(["run", "--", "sh", "-c", 'echo "$TREEHOUSE_PORT_WEB $PGPORT"'], {
      cwd: repo,
      db: `${tmp.path}/registry.db`,
      env: { HOME: tmp.path, XDG_CONFIG_HOME: `${tmp.path}/xdg`, ...NO_PROBE },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "26000 26001\n");
  } finally {
    await tmp.cleanup();
  }
});
