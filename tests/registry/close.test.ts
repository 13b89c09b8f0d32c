/**
 * A writer whose disk sync hangs: SQLite syncs the WAL's header under the write lock on the first commit
 * after the WAL starts afresh (and the last connection's close syncs under an exclusive lock on the
 * database file). A loaded disk can hold an fsync for seconds (a second `treehouse run` was once locked
 * out for 10 s by an ending wrapper); a gated fsync (an LD_PRELOAD shim, tests/fixtures/gated-fsync.c)
 * stands in, and the error names the holder, its state and its lock.
 */
import { strict as assert } from "node:assert";
import { childEnv, cli, MAIN, ROOT, tempDir } from "../helpers/cli.ts";

const SHIM = new URL("../fixtures/gated-fsync.c", import.meta.url).pathname;
const hasGcc = Deno.build.os === "linux" &&
  (() => {
    try {
      return new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
        .success;
    } catch {
      return false;
    }
  })();

async function waitFor(path: string, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await Deno.stat(path).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name: "a writer stuck in a disk sync is named with its state and the lock it holds when treehouse gives up",
  ignore: !hasGcc,
  fn: async () => {
    const tmp = await tempDir();
    let closing: Deno.ChildProcess | undefined;
    try {
      const shim = `${tmp.path}/gated-fsync.so`;
      const built = await new Deno.Command("gcc", {
        args: ["-shared", "-fPIC", "-o", shim, SHIM, "-ldl"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(built.success, new TextDecoder().decode(built.stderr));
      const db = `${tmp.path}/r.db`;
      assert.equal((await cli(["ip", "--branch", "lock-first"], { db, cwd: tmp.path })).code, 0);
      // The first commit into a fresh WAL syncs its header under the write lock: that fsync hangs.
      closing = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", MAIN, "ip", "--branch", "lock-closing"],
        cwd: ROOT,
        env: { ...childEnv({ db }), LD_PRELOAD: shim, GATED_FSYNC_DIR: tmp.path },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await waitFor(`${tmp.path}/in-fsync`, "the closing process to sync");
      const other = await cli(["ip", "--branch", "lock-other"], { db, cwd: tmp.path });
      assert.equal(other.code, 6, other.stderr);
      assert.match(
        other.stderr,
        new RegExp(
          `stayed locked by process ${closing.pid} \\(.*main\\.ts ip.*; sleeping\\), which holds its write lock: ` +
            "nothing was written for 1\\d s",
        ),
      );
    } finally {
      await Deno.writeTextFile(`${tmp.path}/gate`, "");
      if (closing) {
        const out = await closing.output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      }
      await tmp.cleanup();
    }
  },
});
