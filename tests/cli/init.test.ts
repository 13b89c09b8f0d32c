import assert from "node:assert/strict";
import { cli, makeRepo, tempDir } from "../helpers/cli.ts";

Deno.test("init writes treehouse.toml with [run] for the detected framework, and never overwrites without --force", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "shop");
    await Deno.writeTextFile(`${repo}/package.json`, '{"dependencies":{"next":"15.0.0"}}');
    await Deno.mkdir(`${repo}/web`);
    const dry = await cli(["init", "--dry-run"], { cwd: `${repo}/web`, db: `${tmp.path}/r.db` });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\[run\]$/m);
    assert.match(dry.stdout, /^command = \["npx", "next", "dev"\]$/m);
    assert.match(dry.stderr, /allowedDevOrigins/);
    assert.match(dry.stderr, /`treehouse init --agents` does it/, "no --force while there is no file");
    await assert.rejects(Deno.stat(`${repo}/treehouse.toml`), Deno.errors.NotFound);

    const written = await cli(["init"], { cwd: `${repo}/web` });
    assert.equal(written.code, 0, written.stderr);
    assert.match(
      written.stderr,
      new RegExp(`wrote ${repo}/treehouse\\.toml \\(Next\\.js \\(package\\.json\\)\\)`),
    );
    assert.equal(await Deno.readTextFile(`${repo}/treehouse.toml`), dry.stdout);
    assert.match(written.stderr, /`treehouse init --agents` does it/, "never --force: it replaces the file");
    const config = await cli(["config", "--json"], { cwd: repo });
    assert.equal(config.code, 0, `the written file is valid: ${config.stderr}`);

    const again = await cli(["init"], { cwd: repo });
    assert.equal(again.code, 7);
    assert.match(again.stderr, /exists already/);
    // The hint's command on an edited file: adds the AGENTS.md section, keeps the edits.
    await Deno.writeTextFile(`${repo}/treehouse.toml`, "# edited\n", { append: true });
    const edited = await Deno.readTextFile(`${repo}/treehouse.toml`);
    const agentsOnly = await cli(["init", "--agents"], { cwd: repo });
    assert.equal(agentsOnly.code, 0, agentsOnly.stderr);
    assert.match(agentsOnly.stderr, /kept .*treehouse\.toml/);
    assert.equal(await Deno.readTextFile(`${repo}/treehouse.toml`), edited, "init --agents keeps the file");
    assert.match(await Deno.readTextFile(`${repo}/AGENTS.md`), /treehouse status --wait/);
    await Deno.remove(`${repo}/AGENTS.md`);
    const forced = await cli(["init", "--force", "--agents"], { cwd: repo });
    assert.equal(forced.code, 0, forced.stderr);
    const agents = await Deno.readTextFile(`${repo}/AGENTS.md`);
    assert.match(agents, /treehouse status --wait/);
    await cli(["init", "--force", "--agents"], { cwd: repo });
    assert.equal(await Deno.readTextFile(`${repo}/AGENTS.md`), agents, "the section is added once");
  } finally {
    await tmp.cleanup();
  }
});
