/** The words a user reads: help lines, hints and messages say what users type and what is true. */
import assert from "node:assert/strict";
import { linuxSetupAdvice } from "../../src/adapters/platform/linux.ts";
import { cli, tempDir } from "../helpers/cli.ts";

Deno.test("help shows the --no- forms users type and no --no- form of a plain switch", async () => {
  const root = await cli(["--help"]);
  assert.equal(root.code, 0, root.stderr);
  assert.match(root.stdout, /treehouse run .*\[--no-mdns\] \[--no-env-port\]/);
  assert.doesNotMatch(root.stdout, /\[--mdns\]|\[--env-port\]/);
  assert.match(root.stdout, /treehouse restart .*\[--no-wait\]/);
  assert.doesNotMatch(root.stdout, /\[--wait\] \[<BRANCH>\]\n {2}treehouse stop/);
  const run = await cli(["run", "--help"]);
  assert.match(run.stdout, /treehouse run .*\[--no-mdns\] \[--no-env-port\]/);
  const setup = await cli(["setup", "--help"]);
  assert.equal(setup.code, 0, setup.stderr);
  assert.match(setup.stdout, /\[--yes\]/);
  assert.doesNotMatch(setup.stdout, /--no-yes|--no-dry-run|--no-port80/);
});

Deno.test("setup on Linux prints install lines only when avahi-publish is missing", async () => {
  const tmp = await tempDir();
  try {
    const options = { pool: "127.0.9.10-127.0.9.20", port80: false, uninstall: false, hostsSync: "sudo x" };
    const missing = linuxSetupAdvice({ ...options, path: tmp.path });
    assert.match(missing, /avahi-publish: not found/);
    assert.match(missing, /apt-get install avahi-daemon/);
    await Deno.writeTextFile(`${tmp.path}/avahi-publish`, "#!/bin/sh\n");
    await Deno.chmod(`${tmp.path}/avahi-publish`, 0o755);
    const found = linuxSetupAdvice({ ...options, path: tmp.path });
    assert.match(found, /avahi-publish: found \(.*\), nothing to install/);
    assert.doesNotMatch(found, /apt-get|dnf|pacman/);
    assert.match(found, /sudo x/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("setup's hosts fallback names the registry in use", async () => {
  const r = await cli(["--db", "/srv/s2 words/r.db", "setup"], { env: { TREEHOUSE_PLATFORM: "linux" } });
  assert.equal(r.code, 0, r.stderr);
  // The Linux advice is a message: on stderr since 0029e79 (stdout stays for data).
  assert.match(r.stderr, /sudo .* --db '\/srv\/s2 words\/r\.db' hosts sync/);
});

Deno.test("info of a named branch that has no allocation suggests list and allocate for that branch", async () => {
  const tmp = await tempDir();
  try {
    const r = await cli(["info", "s2-nosuch", "--project", tmp.path], { db: `${tmp.path}/r.db` });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /treehouse list/);
    assert.match(r.stderr, /treehouse allocate --branch=s2-nosuch --project /);
    assert.doesNotMatch(r.stderr, /treehouse ip/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a multi-label .local template is warned about by validate, config and doctor", async () => {
  const tmp = await tempDir();
  try {
    await Deno.writeTextFile(
      `${tmp.path}/treehouse.toml`,
      'hostname_template = "{branch}.{project}.local"\n',
    );
    const env = { XDG_CONFIG_HOME: `${tmp.path}/xdg`, TREEHOUSE_DOCTOR_ROUND_TRIP: "0" };
    const v = await cli(["port", "validate", "treehouse.toml"], { cwd: tmp.path, env });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /warning: .*treehouse\.toml:1: hostname_template .*mdns4_minimal/);
    const c = await cli(["config"], { cwd: tmp.path, env });
    assert.match(c.stderr, /warning: hostname_template .*single-label/);
    const d = await cli(["doctor", "--json"], { cwd: tmp.path, env, db: `${tmp.path}/r.db` });
    const settings = JSON.parse(d.stdout).checks.find((c: { id: string }) => c.id === "settings");
    assert.equal(settings.status, "warn");
    assert.match(settings.detail, /more than one label/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("every command and subcommand has a one-line summary and an example in its help", async () => {
  const { buildApp } = await import("../../src/cli/app.ts");
  const app = await buildApp();
  type Target = {
    brief: string;
    fullDescription?: string;
    getAllEntries?: () => readonly { name: { original: string }; target: Target; hidden: boolean }[];
  };
  const missing: string[] = [];
  let seen = 0;
  const walk = (target: Target, path: string[]) => {
    for (const entry of target.getAllEntries?.() ?? []) {
      if (entry.hidden) continue;
      const name = [...path, entry.name.original].join(" ");
      const t = entry.target;
      seen++;
      if (!t.brief || t.brief.includes("\n")) missing.push(`${name}: no one-line summary`);
      if (!/\nExamples:\n {2}\S/.test(t.fullDescription ?? "")) missing.push(`${name}: no example`);
      walk(t, [...path, entry.name.original]);
    }
  };
  walk(app.root as unknown as Target, []);
  assert.deepEqual(missing, []);
  assert.ok(seen > 40, `only ${seen} commands found`);
});

Deno.test("run's help shows the command as optional, after --", async () => {
  for (const args of [["--help"], ["run", "--help"]]) {
    const out = await cli(args);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /treehouse run .*\[--yes\] \[SERVICE\] \[-- CMD\.\.\.\]\n/);
    assert.doesNotMatch(out.stdout, /<CMD>/);
  }
  const run = await cli(["run", "--help"]);
  assert.match(run.stdout, /^ {2}\[CMD\.\.\.\] {2}The dev server's command/m);
});

Deno.test("a value the parser refuses is named as the flag users type, once", async () => {
  const run = await cli(["run", "--ready-timeout", "x", "--", "true"]);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^treehouse: Invalid value for --ready-timeout: .*"x"\nhint: See `treehouse run --help`\n$/,
  );
  const logs = await cli(["logs", "-n", "-5"]);
  assert.match(logs.stderr, /^treehouse: Invalid value for --lines: /);
  const port = await cli(["port", "info", "abc"]);
  assert.match(port.stderr, /^treehouse: Invalid value for PORT: "abc" is not a port number/);
  assert.doesNotMatch(run.stderr + logs.stderr + port.stderr, /Failed to parse/);
});

Deno.test("config shows an unset value as -, never null or an empty cell", async () => {
  const tmp = await tempDir();
  try {
    const c = await cli(["config"], { cwd: tmp.path, db: `${tmp.path}/r.db` });
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^database\.url +- +default$/m);
    assert.match(c.stdout, /^ports\.exclude +- +default$/m);
    assert.doesNotMatch(c.stdout, /\bnull\b/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("the FLAGS tables show a flag's value word as users type it, aligned", async () => {
  const ip = await cli(["ip", "--help"]);
  assert.match(ip.stdout, /^ +\[--branch NAME\] +Branch name/m);
  assert.match(ip.stdout, /^ +\[--project PATH\] +Project directory/m);
  const logs = await cli(["logs", "--help"]);
  assert.match(logs.stdout, /^ {2}-n \[--lines N\] +How many/m);
  const migrate = await cli(["port", "migrate", "--help"]);
  assert.match(migrate.stdout, /^ +--from OLD +The directory's old path/m);
  for (const out of [ip, logs, migrate]) {
    const rows = out.stdout.split("FLAGS\n")[1]!.split("\n\n")[0]!.split("\n").filter(Boolean);
    const columns = new Set(rows.map((r) => r.search(/(?<= {2})[A-Z]/)));
    assert.equal(columns.size, 1, `one description column:\n${rows.join("\n")}`);
  }
});

Deno.test("each control command's help says what exit 20 means for it, and stop has none", async () => {
  const status = await cli(["status", "--help"]);
  assert.match(status.stdout, /A stopped run's status is exit 0\. .*20 with --wait, the run ended/);
  const stop = await cli(["stop", "--help"]);
  assert.match(stop.stdout, /not running is not an error \(exit 0\)/);
  assert.doesNotMatch(stop.stdout, /\b20 /);
  assert.match((await cli(["restart", "--help"])).stdout, /20 the run is not running/);
});
