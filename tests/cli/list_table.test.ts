import assert from "node:assert/strict";
import { textWidth } from "../../src/core/text-width.ts";
import { NAME_COLUMN_MAX } from "../../src/cli/output.ts";
import { cli, makeRepo, tempDir } from "../helpers/cli.ts";

Deno.test("a 205-character branch is cut with an ellipsis in the list and cleanup tables but kept whole in their --json", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path);
    const opts = {
      cwd: repo,
      db: `${tmp.path}/r.db`,
      env: {
        HOME: tmp.path,
        XDG_CONFIG_HOME: `${tmp.path}/xdg`,
        TREEHOUSE_POOL: "127.0.124.10-127.0.124.20",
      },
    };
    const long = `cfg/${"very-long-branch-name-".repeat(9)}end`;
    assert.ok(long.length > 200);
    for (const branch of ["cfg/main", long]) {
      const r = await cli(["ip", "--branch", branch, "--project", repo], opts);
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await cli(["list"], opts);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3, r.stdout);
    const row = lines.find((l) => l.startsWith("cfg/very")) ?? "";
    const [branchCell, , hostCell] = row.split(/\s{2,}/);
    for (const cell of [branchCell ?? "", hostCell ?? ""]) {
      assert.equal(textWidth(cell), NAME_COLUMN_MAX, row);
      assert.ok(cell.endsWith("…"), row);
    }
    // The hostname column is capped too; before the project path, every line stays well short of the
    // 350+ cells it had (the URL is kept whole: it is what one copies or clicks).
    for (const line of lines) {
      const width = textWidth(line.replace(repo, "").trimEnd());
      assert.ok(width < 250, `${width} cells: ${line}`);
    }
    const json = await cli(["list", "--json"], opts);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { branch: string; hostname?: string; host?: string }[];
    assert.ok(rows.some((x) => x.branch === long), json.stdout);
    // cleanup's table too (the long branch does not exist in git): its NAME cell is cut, --json whole.
    const clean = await cli(["cleanup", "--dry-run"], opts);
    assert.equal(clean.code, 0, clean.stderr);
    const cleanRow = clean.stdout.split("\n").find((l) => /^allocation\s+cfg\/very/.test(l)) ?? "";
    const name = cleanRow.split(/\s{2,}/)[1] ?? "";
    assert.equal(textWidth(name), NAME_COLUMN_MAX, clean.stdout);
    assert.ok(name.endsWith("…"), cleanRow);
    const cleanJson = await cli(["cleanup", "--dry-run", "--json"], opts);
    assert.equal(cleanJson.code, 0, cleanJson.stderr);
    assert.ok(
      (JSON.parse(cleanJson.stdout).allocations as { branch: string }[]).some((a) => a.branch === long),
      cleanJson.stdout,
    );
  } finally {
    await tmp.cleanup();
  }
});
