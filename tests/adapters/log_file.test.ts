/** Log files of detached runs: 0600, rotated, tailed and followed (issue 15). */
import assert from "node:assert/strict";
import { tempDir } from "../helpers/cli.ts";
import { followLog, logPathFor, logSize, RotatingLog, tailLog } from "../../src/adapters/log-file.ts";

Deno.test("the log is private, rotates at its size limit and the tail reaches into the rotated file", async () => {
  const tmp = await tempDir();
  try {
    const path = `${tmp.path}/logs/p/main.log`;
    const log = new RotatingLog(path, 100);
    for (let i = 0; i < 12; i++) log.line(`line ${String(i).padStart(2, "0")} of the server`);
    log.close();
    assert.equal((Deno.statSync(path).mode ?? 0) & 0o777, 0o600);
    assert.equal((Deno.statSync(`${tmp.path}/logs/p`).mode ?? 0) & 0o777, 0o700);
    assert.ok(Deno.statSync(path).size <= 100);
    assert.ok(Deno.statSync(`${path}.1`).size <= 100);
    const tail = tailLog(path, 5);
    assert.deepEqual(tail, [7, 8, 9, 10, 11].map((i) => `line ${String(i).padStart(2, "0")} of the server`));
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("following a log sees new lines, also after a rotation", async () => {
  const tmp = await tempDir();
  try {
    const path = `${tmp.path}/f.log`;
    const log = new RotatingLog(path, 60);
    log.line("before");
    const seen: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const following = followLog(path, (l) => seen.push(l), stopped, 20);
    await new Promise((r) => setTimeout(r, 60));
    log.line("first new line");
    for (let i = 0; i < 100 && seen.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    log.line("a long line that makes the log rotate now");
    log.line("after rotation");
    for (let i = 0; i < 200 && !seen.includes("after rotation"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    stop();
    await following;
    log.close();
    assert.equal(seen[0], "first new line");
    assert.ok(seen.includes("after rotation"), seen.join("|"));
    assert.ok(!seen.includes("before"));
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("log paths are per project, branch and service, and safe as file names", () => {
  const hash = () => "abc123";
  assert.equal(
    logPathFor("/d", "/src/my app", "feature/x", "default", hash),
    "/d/logs/my-app-abc123/feature-x-abc123.log",
  );
  assert.equal(logPathFor("/d", "/src/app", "../..", "api", hash), "/d/logs/app-abc123/x.api-abc123.log");
});

Deno.test("tailLog since a mark shows only the lines written after it", async () => {
  const tmp = await tempDir();
  try {
    const path = `${tmp.path}/m.log`;
    assert.equal(logSize(path), 0);
    assert.deepEqual(tailLog(path, 5, 0), []);
    await Deno.writeTextFile(path, "old one\nold two\n");
    const mark = logSize(path);
    await Deno.writeTextFile(path, "new one\nnew two\n", { append: true });
    assert.deepEqual(tailLog(path, 5, mark), ["new one", "new two"]);
    assert.deepEqual(tailLog(path, 5), ["old one", "old two", "new one", "new two"]);
  } finally {
    await tmp.cleanup();
  }
});
