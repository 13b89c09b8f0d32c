/**
 * The bundle (`deno task bundle`) that `deno task compile` and the release workflow turn into the
 * binary: it runs without deno.json (no import map, no npm resolution) and behaves like the source tree,
 * on the fast path, through the command tree, in lazily loaded chunks, and in `run`.
 */
import assert from "node:assert/strict";
import { cli, ROOT, tempDir } from "../helpers/cli.ts";

const dec = new TextDecoder();

/** Runs the project's own bundle task into `dir` (the task's command, with another output directory). */
async function bundle(dir: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const task = String(config.tasks.bundle).split(" ");
  assert.equal(task[0], "deno");
  const args = task.slice(1).map((a, i, all) => (all[i - 1] === "--outdir" ? dir : a));
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  assert.ok(out.success, `deno ${args.join(" ")} failed: ${dec.decode(out.stderr)}`);
  return ["--no-config", "--unstable-lazy-dynamic-imports", `${dir}/main.js`];
}

Deno.test("the bundle runs without deno.json and answers like the source tree", async () => {
  const tmp = await tempDir();
  try {
    const entry = await bundle(`${tmp.path}/bundle`);
    const db = `${tmp.path}/registry.db`;
    const opts = { cwd: tmp.path, db, entry };

    const version = await cli(["--version"], opts);
    const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), config.version);

    // Fast path (plain `ip`), then the same allocation through the source tree.
    const ip = await cli(["ip", "--branch", "feature/Bundle", "--project", tmp.path], opts);
    assert.equal(ip.code, 0, ip.stderr);
    const again = await cli(["ip", "--branch", "feature/Bundle", "--project", tmp.path], {
      cwd: tmp.path,
      db,
    });
    assert.equal(again.stdout, ip.stdout);

    // The command tree (stricli, bundled in) and a lazily loaded command chunk.
    const info = await cli(["info", "--json", "--branch", "feature/Bundle", "--project", tmp.path], opts);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout).hostname, "feature-bundle");
    const help = await cli(["port", "reserve", "--help"], opts);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Example/i);

    // The TOML parser chunk: a bad configuration file is the usual clear error.
    await Deno.writeTextFile(`${tmp.path}/treehouse.toml`, "pool = 12\n");
    const bad = await cli(["config"], opts);
    assert.equal(bad.code, 8, bad.stderr);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
    await Deno.remove(`${tmp.path}/treehouse.toml`);

    // `run`: the child gets the branch's variables; its exit code comes back.
    const run = await cli([
      "run",
      "--quiet",
      "--no-mdns",
      "--branch",
      "feature/Bundle",
      "--project",
      tmp.path,
      "--",
      "sh",
      "-c",
      'echo "$TREEHOUSE_IP $TREEHOUSE_HOST"; exit 7',
    ], opts);
    assert.equal(run.code, 7, run.stderr);
    assert.equal(run.stdout.trim(), `${ip.stdout.trim()} feature-bundle.local`);

    // A usage error: one line and a hint, exit 2, no stack trace.
    const usage = await cli(["nonsense"], opts);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^treehouse: .*\nhint: /);
  } finally {
    await tmp.cleanup();
  }
});
