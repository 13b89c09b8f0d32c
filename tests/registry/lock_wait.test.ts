/**
 * Waiting for the registry's write lock: pauses that grow to a cap, a wait that lasts while others are
 * served and ends when nobody commits, and a holder that keeps the lock named in the error.
 */
import assert from "node:assert/strict";
import {
  LockWait,
  MAX_PAUSE_MS,
  MAX_WAIT_MS,
  pauseFor,
  STALL_TIMEOUT_MS,
} from "../../src/registry/lock-wait.ts";
import { Registry } from "../../src/registry/registry.ts";
import { cli, makeRepo, tempDir } from "../helpers/cli.ts";

Deno.test("lock-wait pauses start below a millisecond and grow to a capped, randomized step", () => {
  assert.ok(pauseFor(0, 0.5) < 1);
  for (let i = 1; i < 40; i++) assert.ok(pauseFor(i, 0.5) >= pauseFor(i - 1, 0.5));
  assert.equal(pauseFor(100, 0.5), MAX_PAUSE_MS);
  assert.equal(pauseFor(100, 0), MAX_PAUSE_MS / 2);
  assert.ok(pauseFor(100, 0.999) < MAX_PAUSE_MS * 1.5);
});

/** A clock the test moves. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

Deno.test("a lock wait gives up when nobody commits for the stall timeout", () => {
  const c = clock();
  const wait = new LockWait(() => 7, c.now);
  assert.equal(wait.pause(), undefined);
  c.advance(STALL_TIMEOUT_MS - 1);
  assert.equal(wait.pause(), undefined);
  c.advance(1);
  assert.deepEqual(wait.pause(), { kind: "stalled", waitedMs: STALL_TIMEOUT_MS });
});

Deno.test("a lock wait goes on past the stall timeout while other processes commit", () => {
  const c = clock();
  let version = 0;
  const wait = new LockWait(() => version, c.now);
  for (let i = 0; i < 10; i++) {
    c.advance(STALL_TIMEOUT_MS - 1);
    version++;
    assert.equal(wait.pause(), undefined, `round ${i}`);
  }
  assert.ok(10 * (STALL_TIMEOUT_MS - 1) > STALL_TIMEOUT_MS);
});

Deno.test("a lock wait whose progress probe fails counts that as no progress", () => {
  const c = clock();
  const wait = new LockWait(() => {
    throw new Error("database is locked");
  }, c.now);
  c.advance(STALL_TIMEOUT_MS);
  assert.equal(wait.pause()?.kind, "stalled");
});

Deno.test("a lock wait ends after the longest wait even while others commit", () => {
  const c = clock();
  let version = 0;
  const wait = new LockWait(() => version, c.now);
  c.advance(MAX_WAIT_MS);
  version++;
  assert.deepEqual(wait.pause(), { kind: "too-long", waitedMs: MAX_WAIT_MS });
});

Deno.test("a lock wait goes on while the holder waits for the disk, and gives up once it does not", () => {
  const c = clock();
  let syncing = true;
  let asked = 0;
  const wait = new LockWait(() => 7, c.now, () => {
    asked++;
    return syncing;
  });
  c.advance(STALL_TIMEOUT_MS);
  assert.equal(wait.pause(), undefined);
  assert.equal(asked, 1);
  c.advance(STALL_TIMEOUT_MS / 2);
  assert.equal(wait.pause(), undefined);
  assert.equal(asked, 1, "asked once per stall period");
  syncing = false;
  c.advance(STALL_TIMEOUT_MS / 2);
  assert.deepEqual(wait.pause(), { kind: "stalled", waitedMs: 2 * STALL_TIMEOUT_MS });
});

const HOLDER = `
import { DatabaseSync } from "node:sqlite";
const db = new DatabaseSync(Deno.args[0]);
db.exec("BEGIN IMMEDIATE");
db.exec("CREATE TABLE IF NOT EXISTS held (x)");
console.log("locked");
await new Promise((r) => setTimeout(r, 60_000));
`;

Deno.test("a process that keeps the registry locked is named when treehouse gives up (exit 6)", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/registry.db`;
  Registry.open(db).close();
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", HOLDER, db],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes("locked")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the lock holder ended early");
      seen += value;
    }
    const repo = await makeRepo(tmp.path, "app", "s1-locked");
    const r = await cli(["ip"], { db, cwd: repo, env: { TREEHOUSE_POOL: "127.0.8.90-127.0.8.99" } });
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^treehouse: Registry .* stayed locked by process ${holder.pid} \\(.*deno.*; sleeping\\), which holds its write lock: nothing was written for 1\\d s\\nhint: If process ${holder.pid} is hung, stop it \\(kill ${holder.pid}\\)`,
      ),
    );
    reader.releaseLock();
  } finally {
    holder.kill("SIGKILL");
    await holder.status;
    await holder.stdout.cancel().catch(() => {});
    await tmp.cleanup();
  }
});
