/**
 * A process whose disk sync hangs while it holds the registry. SQLite syncs under a lock others need
 * in two places: the WAL's header, on the first commit after the WAL starts afresh (under the write
 * lock), and the last connection's close, which checkpoints the WAL under an exclusive lock on the
 * database file (no other process can even read). A loaded disk can hold an fsync for seconds (an
 * ending wrapper once locked a second `treehouse run` out for 10 s); a gated fsync (an LD_PRELOAD shim,
 * tests/fixtures/gated-fsync.c) stands in.
 */
import { strict as assert } from "node:assert";
import { childEnv, cli, MAIN, makeRepo, ROOT, tempDir } from "../helpers/cli.ts";

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

/** This file's own addresses (its runs check their IP:port is free). */
const POOL = { TREEHOUSE_POOL: "127.0.231.10-127.0.231.99" };

/**
 * Runs `treehouse <args>` in a repository with its syncs of `<registry><suffix>` held until the test
 * opens the gate, and `check` once it is inside one; the process must then end well.
 */
async function whileSyncHangs(
  suffix: "-wal" | ".db",
  args: string[],
  check: (db: string, pid: number) => Promise<void>,
) {
  const tmp = await tempDir();
  let gated: Deno.ChildProcess | undefined;
  try {
    const shim = `${tmp.path}/gated-fsync.so`;
    const built = await new Deno.Command("gcc", {
      args: ["-shared", "-fPIC", "-o", shim, SHIM, "-ldl"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(built.success, new TextDecoder().decode(built.stderr));
    const db = `${tmp.path}/r.db`;
    const repo = await makeRepo(tmp.path, "app", "lock-gated");
    assert.equal((await cli(["ip", "--branch", "lock-first"], { db, cwd: repo, env: POOL })).code, 0);
    gated = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, ...args],
      cwd: repo,
      env: {
        ...childEnv({ db, env: POOL }),
        LD_PRELOAD: shim,
        GATED_FSYNC_DIR: tmp.path,
        GATED_FSYNC_SUFFIX: suffix,
      },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await waitFor(`${tmp.path}/in-fsync`, "the gated process to sync");
    await check(db, gated.pid);
  } finally {
    await Deno.writeTextFile(`${tmp.path}/gate`, "");
    if (gated) {
      const out = await gated.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    }
    await tmp.cleanup();
  }
}

Deno.test({
  name: "a writer stuck in a disk sync is named with its state and the lock it holds when treehouse gives up",
  ignore: !hasGcc,
  fn: () =>
    // The first commit into a fresh WAL syncs its header under the write lock: that fsync hangs.
    whileSyncHangs("-wal", ["ip"], async (db, pid) => {
      const other = await cli(["ip", "--branch", "lock-other"], { db, cwd: ROOT, env: POOL });
      assert.equal(other.code, 6, other.stderr);
      assert.match(
        other.stderr,
        new RegExp(
          // The command line is cut at 80 characters: in a long checkout path `ip` may be cut off.
          `stayed locked by process ${pid} \\(.*main\\.ts.*; sleeping\\), which holds its write lock: ` +
            "nothing was written for 1\\d s",
        ),
      );
    }),
});

Deno.test({
  name: "an ending run wrapper, the last to close the registry, syncs without locking the others out",
  ignore: !hasGcc,
  fn: () =>
    // Its run recorded as ended, the wrapper checkpoints the WAL into the database: that fsync hangs.
    whileSyncHangs(".db", ["run", "--no-mdns", "--quiet", "--", "true"], async (db) => {
      const other = await cli(["ip", "--branch", "lock-other"], { db, cwd: ROOT, env: POOL });
      assert.equal(other.code, 0, `another process is served meanwhile: ${other.stderr}`);
      assert.match(other.stdout, /^127\.0\.231\.\d+\n$/);
    }),
});
