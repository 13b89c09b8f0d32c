/** End-to-end tests of the foundation commands through the real entry point. */
import { strict as assert } from "node:assert";
import { VERSION } from "../../src/version.ts";
import { cli, git, makeRepo, ROOT, tempDir } from "../helpers/cli.ts";

async function withRepo(fn: (repo: string, db: string, tmp: string) => Promise<void>) {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "shop");
    await fn(repo, `${tmp.path}/state/registry.db`, tmp.path);
  } finally {
    await tmp.cleanup();
  }
}

Deno.test("`ip` prints only the IP and is sticky", () =>
  withRepo(async (repo, db) => {
    const first = await cli(["ip"], { cwd: repo, db });
    assert.deepEqual(first, { code: 0, stdout: "127.0.0.10\n", stderr: "" });
    assert.equal((await cli(["ip"], { cwd: repo, db })).stdout, "127.0.0.10\n");
    await git(repo, "checkout", "-q", "-b", "feature/auth-flow");
    assert.equal((await cli(["ip"], { cwd: repo, db })).stdout, "127.0.0.11\n");
  }));

Deno.test("`info --json` shows every public field; `info` of an unknown branch exits 3", () =>
  withRepo(async (repo, db) => {
    await git(repo, "checkout", "-q", "-b", "feature/auth-flow");
    await cli(["ip"], { cwd: repo, db });
    const info = await cli(["info", "--json"], { cwd: repo, db });
    assert.equal(info.code, 0, info.stderr);
    const data = JSON.parse(info.stdout);
    assert.deepEqual(Object.keys(data).sort(), [
      "allocated_at",
      "branch",
      "db_name",
      "env",
      "host",
      "hostname",
      "https_url",
      "id",
      "ip",
      "last_seen_at",
      "pid",
      "pid_started_at",
      "port",
      "project_path",
      "running",
      "url",
    ]);
    assert.equal(data.branch, "feature/auth-flow");
    assert.equal(data.project_path, repo);
    assert.equal(data.hostname, "feature-auth-flow");
    assert.equal(data.host, "feature-auth-flow.local");
    assert.equal(data.url, "http://feature-auth-flow.local:4000");
    assert.equal(data.db_name, "shop_dev_feature_auth_flow");
    assert.equal(data.running, false);
    const human = await cli(["info"], { cwd: repo, db });
    assert.match(human.stdout, /^Branch: +feature\/auth-flow$/m);
    assert.match(human.stdout, /^URL: +http:\/\/feature-auth-flow\.local:4000$/m);
    const missing = await cli(["info", "nope"], { cwd: repo, db });
    assert.equal(missing.code, 3);
    assert.equal(missing.stdout, "");
    assert.match(missing.stderr, /^treehouse: No allocation for branch "nope"/);
    assert.match(missing.stderr, /^hint: /m);
  }));

Deno.test("`allocate --json` reports whether the allocation is new", () =>
  withRepo(async (repo, db) => {
    const first = JSON.parse((await cli(["allocate", "--json"], { cwd: repo, db })).stdout);
    const second = JSON.parse((await cli(["allocate", "--json"], { cwd: repo, db })).stdout);
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(first.ip, second.ip);
  }));

Deno.test("`list` shows a table for the project, `--all` every project, `--json` an array", () =>
  withRepo(async (repo, db, tmp) => {
    const other = await makeRepo(tmp, "blog");
    await cli(["ip"], { cwd: repo, db });
    await cli(["ip", "--branch", "feature/x"], { cwd: repo, db });
    await cli(["ip"], { cwd: other, db });
    const table = await cli(["list"], { cwd: repo, db });
    assert.equal(table.code, 0);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^BRANCH +IP +HOSTNAME +PORT +URL +STATUS +LAST SEEN +PROJECT$/);
    assert.equal(lines.length, 3);
    assert.match(
      table.stdout,
      /feature\/x +127\.0\.0\.11 +feature-x\.local +- +http:\/\/feature-x\.local:4000 +STOPPED/,
    );
    const all = await cli(["list", "--all", "--json"], { cwd: repo, db });
    const rows = JSON.parse(all.stdout);
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r: { hostname: string }) => r.hostname), ["main", "feature-x", "main-blog"]);
    const byProject = JSON.parse(
      (await cli(["list", "--json", "--project", other], { cwd: tmp, db })).stdout,
    );
    assert.equal(byProject.length, 1);
    const empty = await cli(["list"], { cwd: tmp, db: `${tmp}/empty.db` });
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, "");
    assert.match(empty.stderr, /No allocations/);
  }));

Deno.test("`release` frees the IP for the next branch; an unknown branch exits 3", () =>
  withRepo(async (repo, db) => {
    await cli(["ip", "--branch", "a"], { cwd: repo, db });
    await cli(["ip", "--branch", "b"], { cwd: repo, db });
    const released = await cli(["release", "a"], { cwd: repo, db });
    assert.equal(released.code, 0, released.stderr);
    assert.match(released.stderr, /Released 127\.0\.0\.10/);
    assert.equal((await cli(["ip", "--branch", "c"], { cwd: repo, db })).stdout, "127.0.0.10\n");
    const again = await cli(["release", "a"], { cwd: repo, db });
    assert.equal(again.code, 3);
    assert.match(again.stderr, /No allocation for branch "a"/);
  }));

Deno.test("`release` and `allocate` name hosts with the hostname template", () =>
  withRepo(async (repo, db) => {
    const env = { TREEHOUSE_HOSTNAME_TEMPLATE: "{branch}.{project}.test" };
    const project = repo.split("/").pop();
    await cli(["ip", "--branch", "feature/x"], { cwd: repo, db, env });
    const other = await cli(["allocate", "--branch", "feature/x", "--project", `${repo}/..`], {
      cwd: repo,
      db,
      env,
    });
    assert.equal(other.code, 0, other.stderr);
    assert.match(
      other.stderr,
      new RegExp(`feature-x\\.[a-z0-9-]+\\.test is taken by another project, so this`),
    );
    const released = await cli(["release", "feature/x"], { cwd: repo, db, env });
    assert.equal(released.code, 0, released.stderr);
    assert.match(released.stderr, new RegExp(`\\(feature-x\\.${project}\\.test\\)`));
    // --json has the full host as list --json and info --json do (hostname is the label).
    await cli(["ip", "--branch", "feature/y"], { cwd: repo, db, env });
    const info = JSON.parse(
      (await cli(["info", "--json", "--branch", "feature/y"], { cwd: repo, db, env })).stdout,
    );
    const json = await cli(["release", "feature/y", "--json"], { cwd: repo, db, env });
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout);
    assert.equal(view.host, `feature-y.${project}.test`);
    assert.equal(view.host, info.host);
    assert.equal(view.hostname, info.hostname);
  }));

Deno.test("`env` output survives eval in bash whatever the branch name contains", () =>
  withRepo(async (repo, db) => {
    const branch = `it's "$(touch pwned)" \`id\` $HOME ;|& \\ end`;
    const env = await cli(["env", `--branch=${branch}`], { cwd: repo, db });
    assert.equal(env.code, 0, env.stderr);
    const out = await new Deno.Command("bash", {
      args: ["-c", `eval "$1" && printf '%s' "$TREEHOUSE_BRANCH"`, "bash", env.stdout],
      cwd: repo,
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(out.stdout), branch);
    let pwned = true;
    try {
      await Deno.stat(`${repo}/pwned`);
    } catch {
      pwned = false;
    }
    assert.equal(pwned, false, "nothing was executed");
    const json = JSON.parse(
      (await cli(["env", "--format", "json", `--branch=${branch}`], { cwd: repo, db })).stdout,
    );
    assert.equal(json.TREEHOUSE_BRANCH, branch);
    assert.deepEqual(Object.keys(json), [
      "TREEHOUSE_IP",
      "TREEHOUSE_HOST",
      "TREEHOUSE_PORT",
      "TREEHOUSE_URL",
      "TREEHOUSE_BRANCH",
      "TREEHOUSE_DB_NAME",
    ]);
    const dotenv = await cli(["env", "--format", "dotenv", "--branch", "main"], { cwd: repo, db });
    assert.match(dotenv.stdout, /^TREEHOUSE_IP="127\.0\.0\.\d+"$/m);
  }));

Deno.test("outside a repository without --branch exits 4; with --branch it works", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/r.db`;
    const res = await cli(["ip"], { cwd: tmp.path, db });
    assert.equal(res.code, 4);
    assert.match(res.stderr, /^treehouse: Not a git repository: /);
    assert.match(res.stderr, /--branch/);
    const named = await cli(["ip", "--branch=-dash-first"], { cwd: tmp.path, db });
    assert.equal(named.code, 0, named.stderr);
    const info = JSON.parse(
      (await cli(["info", "--json", "--branch=-dash-first"], { cwd: tmp.path, db })).stdout,
    );
    assert.equal(info.hostname, "dash-first");
    assert.equal(info.project_path, tmp.path);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a linked worktree shares the project but gets its own IP", () =>
  withRepo(async (repo, db, tmp) => {
    await git(repo, "worktree", "add", "-q", "-b", "feature-b", `${tmp}/shop-b`);
    const main = JSON.parse((await cli(["allocate", "--json"], { cwd: repo, db })).stdout);
    const wt = JSON.parse((await cli(["allocate", "--json"], { cwd: `${tmp}/shop-b`, db })).stdout);
    assert.equal(wt.project_path, main.project_path);
    assert.notEqual(wt.ip, main.ip);
    assert.equal(wt.db_name, "shop_dev_feature_b");
  }));

Deno.test("usage mistakes exit 2 with one clear line and no stack", () =>
  withRepo(async (repo, db) => {
    for (
      const [args, env] of [
        [["bogus"], {}],
        [["ip", "--nope"], {}],
        [["env", "--format", "xml"], {}],
        [["ip"], { TREEHOUSE_POOL: "10.0.0.1-10.0.0.5" }],
        [["ip"], { TREEHOUSE_RECLAIM_AFTER: "soon" }],
        [["ip", "--db"], {}],
        [["ip", "--branch="], {}],
      ] as [string[], Record<string, string>][]
    ) {
      const res = await cli(args, { cwd: repo, db, env });
      assert.equal(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
      assert.equal(res.stdout, "");
      assert.match(res.stderr, /^treehouse: \S/, "one clear line");
      assert.match(res.stderr, /^hint: /m, "with a hint");
      assert.doesNotMatch(res.stderr, /\bat .*\.ts:\d+/, "no stack trace");
    }
  }));

Deno.test("a narrowed pool via TREEHOUSE_POOL is honoured and exhaustion exits 5", () =>
  withRepo(async (repo, db) => {
    const env = { TREEHOUSE_POOL: "127.0.0.50-127.0.0.51" };
    assert.equal((await cli(["ip", "--branch", "a"], { cwd: repo, db, env })).stdout, "127.0.0.50\n");
    assert.equal((await cli(["ip", "--branch", "b"], { cwd: repo, db, env })).stdout, "127.0.0.51\n");
    const full = await cli(["ip", "--branch", "c"], { cwd: repo, db, env });
    assert.equal(full.code, 5);
    assert.match(full.stderr, /exhausted/);
    assert.match(full.stderr, /hint: .*release/);
  }));

Deno.test("--db and TREEHOUSE_DB choose the registry; XDG_DATA_HOME sets the default", () =>
  withRepo(async (repo, _db, tmp) => {
    const res = await cli(["--db", `${tmp}/flag.db`, "ip"], {
      cwd: repo,
      env: { TREEHOUSE_DB: `${tmp}/env.db` },
    });
    assert.equal(res.code, 0, res.stderr);
    await Deno.stat(`${tmp}/flag.db`);
    await assert.rejects(() => Deno.stat(`${tmp}/env.db`));
    const xdg = await cli(["ip"], { cwd: repo, env: { XDG_DATA_HOME: `${tmp}/xdg`, HOME: `${tmp}/home` } });
    assert.equal(xdg.code, 0, xdg.stderr);
    assert.equal((await Deno.stat(`${tmp}/xdg/treehouse`)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${tmp}/xdg/treehouse/registry.db`)).mode! & 0o777, 0o600);
    const home = await cli(["ip"], { cwd: repo, env: { HOME: `${tmp}/home2`, XDG_DATA_HOME: "" } });
    assert.equal(home.code, 0, home.stderr);
    await Deno.stat(`${tmp}/home2/.local/share/treehouse/registry.db`);
  }));

Deno.test("every command has --help with an example, and --version prints the version", async () => {
  const listed = (text: string) =>
    [...text.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1] as string).filter((c) =>
      c !== "treehouse"
    );
  const root = await cli(["--help"]);
  assert.equal(root.code, 0);
  const queue = listed(root.stdout).map((c) => [c]);
  assert.ok(queue.length >= 6, root.stdout);
  let checked = 0;
  while (queue.length > 0) {
    const path = queue.shift() as string[];
    const help = await cli([...path, "--help"]);
    assert.equal(help.code, 0, path.join(" "));
    if (/^COMMANDS$/m.test(help.stdout)) {
      for (const sub of listed(help.stdout.slice(help.stdout.search(/^COMMANDS$/m)))) {
        queue.push([...path, sub]);
      }
      continue;
    }
    assert.match(help.stdout, /Examples:\n {2}.*treehouse /, `${path.join(" ")} --help has an example`);
    checked++;
  }
  assert.ok(checked >= 6);
  const version = await cli(["--version"]);
  assert.equal(version.stdout.trim(), VERSION);
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  assert.equal(denoJson.version, VERSION, "deno.json and src/version.ts agree");
});

Deno.test("without git on PATH a named branch still works and an unnamed one says git is missing", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/r.db`;
    const env = { PATH: `${tmp.path}/empty-bin` };
    const named = await cli(["ip", "--branch", "main", "--project", tmp.path], { cwd: tmp.path, db, env });
    assert.equal(named.code, 0, named.stderr);
    assert.equal(named.stdout, "127.0.0.10\n");
    const unnamed = await cli(["ip"], { cwd: tmp.path, db, env });
    assert.equal(unnamed.code, 10);
    assert.match(unnamed.stderr, /git is not installed/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("hostname_template shapes host, URL, env and the hosts block", () =>
  withRepo(async (repo, db) => {
    const env = { TREEHOUSE_HOSTNAME_TEMPLATE: "{branch}.{project}.test" };
    await git(repo, "checkout", "-q", "-b", "feature/x");
    const info = JSON.parse((await cli(["allocate", "--json"], { cwd: repo, db, env })).stdout);
    assert.equal(info.hostname, "feature-x");
    assert.equal(info.host, "feature-x.shop.test");
    assert.equal(info.url, "http://feature-x.shop.test:4000");
    const vars = JSON.parse((await cli(["env", "--format", "json"], { cwd: repo, db, env })).stdout);
    assert.equal(vars.TREEHOUSE_HOST, "feature-x.shop.test");
    const printed = await cli(["hosts", "print"], { cwd: repo, db, env });
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /127\.0\.0\.10\s+feature-x\.shop\.test/);
  }));

Deno.test("`info`, `list` and `release` never create a registry", () =>
  withRepo(async (repo, _db, tmp) => {
    const db = `${tmp}/not-yet/registry.db`;
    assert.equal((await cli(["info"], { cwd: repo, db })).code, 3);
    assert.equal((await cli(["list", "--json"], { cwd: repo, db })).stdout, "[]\n");
    assert.equal((await cli(["release"], { cwd: repo, db })).code, 3);
    await assert.rejects(() => Deno.stat(`${tmp}/not-yet`));
  }));

Deno.test("`port list`, `port list-projects`, `port info`, `port scan` and `port release` never create a registry", () =>
  withRepo(async (repo, _db, tmp) => {
    const db = `${tmp}/not-yet/registry.db`;
    const run = (...args: string[]) => cli(["port", ...args], { cwd: repo, db });
    assert.equal((await run("list", "--json")).stdout, "[]\n");
    assert.equal((await run("list-projects", "--json")).stdout, "[]\n");
    const info = await run("info", "5999", "--json");
    assert.equal(info.code, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout).reservation, null);
    const scan = await run("scan", "--range", "5990-5999", "--json");
    assert.equal(scan.code, 0, scan.stderr);
    assert.equal((await run("release")).code, 3);
    await assert.rejects(() => Deno.stat(`${tmp}/not-yet`));
  }));

Deno.test("the root --help lists every documented exit code", async () => {
  const { ExitCode } = await import("../../src/errors.ts");
  const help = await cli(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  const line = help.stdout.split("\n").find((l) => l.startsWith("Exit codes:")) ?? "";
  for (const code of Object.values(ExitCode)) {
    if (code === 0) continue;
    assert.match(line, new RegExp(`\\b${code}\\b`), `exit code ${code} missing from: ${line}`);
  }
});

Deno.test("--project naming a missing directory or a file says which, with exit 2 and a hint", async () => {
  const tmp = await tempDir();
  try {
    await Deno.writeTextFile(`${tmp.path}/file`, "");
    const db = `${tmp.path}/r.db`;
    const missing = await cli(["ip", "--branch", "x", "--project", `${tmp.path}/nope`], { db });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^treehouse: Project directory .*\/nope does not exist\nhint: /);
    const file = await cli(["ip", "--branch", "x", "--project", `${tmp.path}/file`], { db });
    assert.equal(file.code, 2);
    assert.match(file.stderr, /^treehouse: Project directory .*\/file is not a directory\nhint: /);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a branch name with a newline or another control character is a usage error, never allocated", () =>
  withRepo(async (repo, db) => {
    // It would forge a line in `list`'s table (and in `env`): "evil\nTREEHOUSE_IP=1.2.3.4".
    for (const args of [["ip", "--branch=evil\nTREEHOUSE_IP=1.2.3.4"], ["info", "tab\tx"]]) {
      const r = await cli(args, { cwd: repo, db });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^treehouse: Branch name ".*" contains a control character\nhint: /);
    }
    assert.equal((await cli(["list", "--json"], { cwd: repo, db })).stdout.trim(), "[]");
  }));
