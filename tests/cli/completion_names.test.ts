import assert from "node:assert/strict";
import { cli, git, makeRepo, tempDir } from "../helpers/cli.ts";

Deno.test("completion offers the project's branch names for info, release and --branch, and run's services", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "app");
    await git(repo, "branch", "run0-feature-a");
    await git(repo, "branch", "run0-feature-b");
    await Deno.writeTextFile(
      `${repo}/treehouse.toml`,
      '[run.api]\ncommand = "x"\n[run.web]\ncommand = "y"\n',
    );
    const db = `${tmp.path}/r.db`;
    const env = { TREEHOUSE_POOL: "127.0.6.10-127.0.6.99" };
    await cli(["ip", "--branch", "run0-allocated"], { cwd: repo, db, env });
    const propose = async (...words: string[]) =>
      (await cli(["completions", "propose", "--", ...words], { cwd: repo, db, env })).stdout.split("\n")
        .filter(Boolean);
    assert.deepEqual(await propose("info", "run0-f"), ["run0-feature-a", "run0-feature-b"]);
    assert.deepEqual(await propose("release", "run0-a"), ["run0-allocated"]);
    assert.deepEqual(await propose("ip", "--branch", "run0-feature-"), ["run0-feature-a", "run0-feature-b"]);
    assert.deepEqual(await propose("run", "--service", ""), ["api", "web"]);
    assert.deepEqual((await propose("run", "w")).filter((c) => !c.startsWith("-")), ["web"]);
  } finally {
    await tmp.cleanup();
  }
});
