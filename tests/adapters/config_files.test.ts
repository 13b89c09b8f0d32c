import assert from "node:assert/strict";
import fc from "fast-check";
import { Config, unsafeReason } from "../../src/adapters/config-files.ts";
import * as configParser from "../../src/adapters/config-parse.ts";
import { parseConfigText } from "../../src/adapters/config-parse.ts";
import { renderHostname } from "../../src/core/hostname-template.ts";
import { loadSettings } from "../../src/services/settings.ts";
import { ConfigError, UsageError } from "../../src/errors.ts";
import { cli, makeRepo, tempDir } from "../helpers/cli.ts";

function configError(text: string): ConfigError {
  try {
    parseConfigText(text, "/p/treehouse.toml", "project");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

Deno.test("an unknown key is reported with file, line, key and the allowed keys", () => {
  const e = configError('pool = "127.0.0.10-127.0.0.20"\n\n[ports]\nrange = "5000-5100"\nrnage = "1-2"\n');
  assert.match(
    e.message,
    /^\/p\/treehouse\.toml:5: ports\.rnage: unknown key \(did you mean ports\.range\?\)$/,
  );
  assert.match(e.hint ?? "", /ports\.range/);
  assert.equal(e.exitCode, 8);
});

Deno.test("a wrong type or an invalid value names the line, the key and what is allowed", () => {
  let e = configError("[ports.occupancy]\ntcp = true\nudp = 1\n");
  assert.match(e.message, /treehouse\.toml:3: ports\.occupancy\.udp: expected true or false, got an integer/);
  assert.match(e.hint ?? "", /true or false/);
  e = configError('reclaim_after = "soon"\n');
  assert.match(e.message, /:1: reclaim_after: "soon" is not a duration/);
  assert.match(e.hint ?? "", /7d/);
  e = configError('pool = "10.0.0.1-10.0.0.5"\n');
  assert.match(e.message, /:1: pool:/);
  assert.match(e.hint ?? "", /127\.0\.0\.0\/8/);
  e = configError('ports = { range = "9000-8000" }\n');
  assert.match(e.message, /:1: ports\.range: "9000-8000" is not a port or port range/);
  e = configError("[group]\nbase = 6000\n[group.web]\noffset = 0\nport = 6001\n");
  assert.match(e.message, /:3: group\.web: has both offset and port/);
  e = configError('[group.web]\noffset = 0\ncolour = "red"\n');
  assert.match(e.message, /:3: group\.web\.colour: unknown key/);
  assert.match(e.hint ?? "", /offset, port, env/);
});

Deno.test("every refused key of a hostile project file is reported in one error, and the file is refused", () => {
  const e = configError(
    'pool = "127.0.0.1-127.0.0.9"\nhostname_template = "{branch}.example.com"\nmdns = "lan"\n' +
      '[group.web]\noffset = 0\nenv = "PATH"\n[trust]\nkeys = ["pool"]\n',
  );
  assert.equal(e.exitCode, 8);
  const [first, ...rest] = e.message.split("\n");
  assert.equal(first, "/p/treehouse.toml: 5 problems, so none of the file is used:");
  const text = rest.join("\n");
  assert.match(text, /^ {2}\/p\/treehouse\.toml:1: pool: .*\n {4}To allow it, /m);
  assert.match(text, /^ {2}\/p\/treehouse\.toml:2: hostname_template: /m);
  assert.match(text, /^ {2}\/p\/treehouse\.toml:3: mdns: /m);
  assert.match(text, /^ {2}\/p\/treehouse\.toml:6: group\.web\.env: /m);
  assert.match(text, /^ {2}\/p\/treehouse\.toml:7: trust: only your own config file/m);
  assert.match(e.hint ?? "", /each key above/);
  // One problem alone reads as before: its line, and its own hint.
  const one = configError('mdns = "lan"\n');
  assert.match(one.message, /^\/p\/treehouse\.toml:1: mdns: /);
  assert.match(one.hint ?? "", /^To allow it, /);
});

Deno.test("a zero heartbeat is refused in a file and in TREEHOUSE_HEARTBEAT (it would write the registry in a loop)", async () => {
  for (const scope of ["project", "user"] as const) {
    let error: unknown;
    try {
      parseConfigText('heartbeat = "0s"\n', "/p/config.toml", scope);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError, `${scope}: ${error}`);
    assert.match(error.message, /:1: heartbeat: "0s" is not above 0/);
  }
  const tmp = await tempDir();
  try {
    const r = await cli(["config"], {
      cwd: tmp.path,
      db: `${tmp.path}/r.db`,
      env: { TREEHOUSE_HEARTBEAT: "0ms" },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^treehouse: Invalid value in TREEHOUSE_HEARTBEAT: "0ms" is not above 0$/m);
    const ok = await cli(["config"], {
      cwd: tmp.path,
      db: `${tmp.path}/r.db`,
      env: { TREEHOUSE_HEARTBEAT: "500ms" },
    });
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a TOML syntax error is reported with its file and line", () => {
  const e = configError('pool = "127.0.0.10-127.0.0.20"\nheartbeat = 30s\n');
  assert.match(e.message, /^\/p\/treehouse\.toml:2: invalid TOML/);
});

Deno.test("a group parses with offsets, absolute ports and variable names", () => {
  const file = parseConfigText(
    '[group]\nbase = 6000\n[group.web]\noffset = 0\n[group.web-api]\noffset = 1\n[group.db]\nport = 5432\nenv = "PGPORT"\n',
    "/src/app/treehouse.toml",
    "project",
  );
  assert.equal(file.group?.dir, "/src/app");
  assert.equal(file.group?.base, 6000);
  assert.deepEqual(file.group?.members, [
    { tag: "web", offset: 0, env: "TREEHOUSE_PORT_WEB" },
    { tag: "web-api", offset: 1, env: "TREEHOUSE_PORT_WEB_API" },
    { tag: "db", port: 5432, env: "PGPORT" },
  ]);
});

Deno.test("settings follow env > treehouse.local.toml > treehouse.toml (nearest first) > user file > defaults", async () => {
  const tmp = await tempDir();
  try {
    const home = `${tmp.path}/home`;
    const proj = `${tmp.path}/outer/proj`;
    await Deno.mkdir(`${home}/.config/treehouse`, { recursive: true });
    await Deno.mkdir(`${proj}/sub`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.config/treehouse/config.toml`,
      'heartbeat = "30s"\nstale_after = "2h"\ndefault_port = 3000\n[ports]\nexclude = [5001]\n',
    );
    await Deno.writeTextFile(
      `${tmp.path}/outer/treehouse.toml`,
      'stale_after = "3h"\nreclaim_after = "8d"\n',
    );
    await Deno.writeTextFile(
      `${proj}/treehouse.toml`,
      'reclaim_after = "9d"\n[ports]\nrange = "6000-6100"\nexclude = ["6000-6005"]\n',
    );
    await Deno.writeTextFile(`${proj}/treehouse.local.toml`, '[ports]\nrange = "7000-7100"\n');
    const vars: Record<string, string> = { HOME: home, TREEHOUSE_HEARTBEAT: "10s" };
    const env = (name: string) => vars[name];
    const s = loadSettings(new Config(env, configParser), `${proj}/sub`);
    assert.equal(s.heartbeatMs, 10_000);
    assert.equal(s.sources.heartbeatMs, "env TREEHOUSE_HEARTBEAT");
    assert.deepEqual(s.portRange, { first: 7000, last: 7100 });
    assert.equal(s.sources.portRange, `${proj}/treehouse.local.toml:2`);
    assert.equal(s.reclaimAfterMs, 9 * 86_400_000);
    assert.equal(s.sources.reclaimAfterMs, `${proj}/treehouse.toml:1`);
    assert.equal(s.staleAfterMs, 3 * 3_600_000);
    assert.equal(s.defaultPort, 3000);
    assert.equal(s.sources.defaultPort, `${home}/.config/treehouse/config.toml:3`);
    assert.equal(s.sources.pool, "default");
    // Exclusions add up across files.
    assert.deepEqual(s.excludedPorts, [{ first: 6000, last: 6005 }, { first: 5001, last: 5001 }]);
    assert.deepEqual(s.files, [
      `${proj}/treehouse.local.toml`,
      `${proj}/treehouse.toml`,
      `${tmp.path}/outer/treehouse.toml`,
      `${home}/.config/treehouse/config.toml`,
    ]);
    vars.XDG_CONFIG_HOME = `${tmp.path}/xdg`;
    assert.equal(loadSettings(new Config(env, configParser), `${tmp.path}/outer`).defaultPort, 4000);
    vars.TREEHOUSE_PORTS_RANGE = "9000-8000";
    assert.throws(
      () => loadSettings(new Config(env, configParser), "/"),
      (e) => e instanceof UsageError && /TREEHOUSE_PORTS_RANGE/.test(e.message),
    );
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("treehouse config --json prints effective values and their sources", async () => {
  const tmp = await tempDir();
  try {
    await Deno.writeTextFile(`${tmp.path}/treehouse.toml`, '# ports\n[ports]\nrange = "6000-6099"\n');
    const env = {
      HOME: tmp.path,
      XDG_CONFIG_HOME: `${tmp.path}/xdg`,
      TREEHOUSE_POOL: "127.0.0.10-127.0.0.20",
    };
    const r = await cli(["config", "--json"], { cwd: tmp.path, db: `${tmp.path}/r.db`, env });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.values["ports.range"], "6000-6099");
    assert.equal(doc.sources["ports.range"], `${tmp.path}/treehouse.toml:3`);
    assert.equal(doc.values.pool, "127.0.0.10-127.0.0.20");
    assert.equal(doc.sources.pool, "env TREEHOUSE_POOL");
    assert.equal(doc.sources.heartbeat, "default");
    const human = await cli(["config"], { cwd: tmp.path, db: `${tmp.path}/r.db`, env });
    assert.match(human.stdout, /ports\.range\s+6000-6099\s+\S+treehouse\.toml:3/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("the IP pool of a project's treehouse.toml applies to treehouse ip, and a bad file stops it with exit 8", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path);
    const env = { HOME: tmp.path, XDG_CONFIG_HOME: `${tmp.path}/xdg` };
    await Deno.writeTextFile(`${repo}/treehouse.toml`, 'pool = "127.0.0.50-127.0.0.60"\n');
    const ok = await cli(["ip"], { cwd: repo, db: `${tmp.path}/r.db`, env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), "127.0.0.50");
    await Deno.writeTextFile(`${repo}/treehouse.toml`, 'pool = "127.0.0.50-127.0.0.60"\nheartbeet = "1m"\n');
    const bad = await cli(["ip"], { cwd: repo, db: `${tmp.path}/r.db`, env });
    assert.equal(bad.code, 8);
    assert.match(bad.stderr, new RegExp(`${repo}/treehouse\\.toml:2: heartbeet: unknown key`));
    assert.equal(bad.stdout, "");
    const v = await cli(["port", "validate", "treehouse.toml"], { cwd: repo, db: `${tmp.path}/r.db`, env });
    assert.equal(v.code, 8);
    assert.match(v.stderr, /treehouse\.toml:2: heartbeet/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test({
  name:
    "a project file owned by another user above the checkout is ignored with a warning, the checkout's own file still applies" +
    (Deno.uid() === 0 ? "" : " (needs root to chown a file to another user)"),
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const tmp = await tempDir();
    try {
      // A shared directory like /tmp (world-writable, sticky) where uid 65534 dropped a file.
      const shared = `${tmp.path}/shared`;
      await Deno.mkdir(shared);
      await Deno.chmod(shared, 0o1777);
      const planted = `${shared}/treehouse.toml`;
      await Deno.writeTextFile(planted, 'pool = "127.0.0.50-127.0.0.60"\ndefault_port = 4321\n');
      await Deno.chown(planted, 65534, 65534);
      const plantedLocal = `${shared}/treehouse.local.toml`;
      await Deno.writeTextFile(plantedLocal, "default_port = 4322\n");
      await Deno.chown(plantedLocal, 65534, 65534);
      const repo = await makeRepo(shared);
      await Deno.writeTextFile(`${repo}/treehouse.toml`, '[ports]\nrange = "6000-6099"\n');
      const env = { HOME: tmp.path, XDG_CONFIG_HOME: `${tmp.path}/xdg` };
      const r = await cli(["config", "--json"], { cwd: repo, db: `${tmp.path}/r.db`, env });
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(doc.files, [`${repo}/treehouse.toml`]);
      assert.equal(doc.values["ports.range"], "6000-6099");
      assert.equal(doc.sources.pool, "default");
      assert.equal(doc.sources.default_port, "default");
      for (const file of [planted, plantedLocal]) {
        const lines = r.stderr.split("\n").filter((l) => l.includes(file));
        assert.equal(lines.length, 1, r.stderr);
        assert.match(
          lines[0] ?? "",
          /^warning: ignoring \S+: it is owned by uid 65534, not by you \(uid 0\) or root\. If you trust it, copy it/,
        );
      }
      // The hot path too: `ip` does not take the planted pool.
      const ip = await cli(["ip"], { cwd: repo, db: `${tmp.path}/r.db`, env });
      assert.equal(ip.code, 0, ip.stderr);
      assert.doesNotMatch(ip.stdout, /^127\.0\.0\.5\d$/m);
      assert.match(ip.stderr, new RegExp(`warning: ignoring ${planted}: it is owned by uid 65534`));
      // Handed back to the user, the same file applies.
      await Deno.chown(planted, 0, 0);
      await Deno.remove(plantedLocal);
      const mine = await cli(["config", "--json"], { cwd: repo, db: `${tmp.path}/r.db`, env });
      assert.equal(mine.code, 0, mine.stderr);
      assert.equal(JSON.parse(mine.stdout).sources.default_port, `${planted}:2`);
      assert.doesNotMatch(mine.stderr, /ignoring/);
    } finally {
      await tmp.cleanup();
    }
  },
});

Deno.test("a file not owned by the user in a directory others can write is unsafe, even when root owns it", async () => {
  const tmp = await tempDir();
  try {
    const file = `${tmp.path}/treehouse.toml`;
    await Deno.writeTextFile(file, "");
    const owner = Deno.statSync(file).uid!;
    await Deno.chmod(tmp.path, 0o755);
    assert.equal(unsafeReason(file, owner), undefined);
    assert.equal(unsafeReason(file, null), undefined);
    // Seen by another user: root's (or the user's own) file is safe in a directory only its owner writes.
    if (owner === 0) assert.equal(unsafeReason(file, 1000), undefined);
    else assert.match(unsafeReason(file, owner + 1) ?? "", /owned by uid/);
    await Deno.chmod(tmp.path, 0o1777);
    assert.equal(unsafeReason(file, owner), undefined, "the user's own file in a shared directory applies");
    if (owner === 0) {
      assert.match(unsafeReason(file, 1000) ?? "", /writable by others and the file is not yours/);
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a [group] in the user's configuration file is an error naming the file and line", () => {
  assert.throws(
    () => parseConfigText('heartbeat = "1m"\n[group.web]\noffset = 0\n', "/h/config.toml", "user"),
    (e) => e instanceof ConfigError && /^\/h\/config\.toml:2: group: only project files/.test(e.message),
  );
});

Deno.test("the line named for an unknown key is the line that holds it, wherever it is", () => {
  const lines = [
    'pool = "127.0.0.10-127.0.0.20"',
    'heartbeat = "30s"',
    "[ports]",
    'range = "5000-5100"',
    "exclude = [5001]",
    "[ports.occupancy]",
    "udp = false",
    "[cleanup]",
    "on_exhaustion = true",
  ];
  const tables = [
    undefined,
    undefined,
    "ports",
    "ports",
    "ports",
    "ports.occupancy",
    "ports.occupancy",
    "cleanup",
    "cleanup",
  ];
  fc.assert(fc.property(
    fc.integer({ min: 0, max: lines.length }),
    fc.stringMatching(/^[a-z][a-z_]{2,10}$/).filter((k) =>
      !["pool", "heartbeat", "ports", "range", "exclude", "cleanup", "udp", "occupancy", "group", "trust"]
        .includes(k)
    ),
    (at, key) => {
      const text = [...lines.slice(0, at), `${key} = 1`, ...lines.slice(at)].join("\n");
      const table = at === 0 ? undefined : tables[at - 1];
      if (
        table === undefined &&
        ["group", "reclaim_after", "stale_after", "default_port", "hostname_template"].includes(key)
      ) return;
      if (table === "ports.occupancy" && ["tcp", "ipv4", "ipv6"].includes(key)) return;
      if (table === "cleanup" && key === "expire_after") return;
      const e = configError(text);
      const full = table ? `${table}.${key}` : key;
      assert.match(e.message, /: unknown key( \(did you mean \S+\?\))?$/);
      assert.equal(e.message.split(": unknown key")[0], `/p/treehouse.toml:${at + 1}: ${full}`);
    },
  ));
});

Deno.test("renderHostname() fills {branch} with the label and {project} with the project's name", () => {
  assert.equal(renderHostname("{branch}.local", "feature-x", "/src/My App"), "feature-x.local");
  assert.equal(renderHostname("{branch}.{project}.test", "main", "/src/My_App"), "main.myapp.test");
});
