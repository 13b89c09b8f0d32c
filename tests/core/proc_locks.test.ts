import assert from "node:assert/strict";
import {
  parseProcLocks,
  processStateWords,
  registryLock,
  sqliteLockRole,
} from "../../src/core/proc-locks.ts";

const LOCKS = [
  "1: POSIX  ADVISORY  READ 300 fe:00:77 124 124",
  "2: POSIX  ADVISORY  WRITE 300 fe:00:77 121 121",
  "3: POSIX  ADVISORY  WRITE 200 fe:00:77 120 120",
  "3: -> POSIX  ADVISORY  WRITE 999 fe:00:77 120 120",
  "4: OFDLCK ADVISORY  WRITE -1 fe:00:77 0 EOF",
  "5: POSIX  ADVISORY  WRITE 400 fe:00:55 1073741826 1073742335",
  "6: FLOCK  ADVISORY  WRITE 500 00:2e:12 0 EOF",
].join("\n");

Deno.test("parseProcLocks reads each lock's owner, inode and byte range and skips waiters", () => {
  const locks = parseProcLocks(LOCKS);
  assert.equal(locks.length, 6);
  assert.deepEqual(locks[2], { kind: "POSIX", write: true, pid: 200, inode: 77, start: 120, end: 120 });
  assert.equal(locks[3]?.pid, -1);
  assert.equal(locks[3]?.end, Infinity);
  assert.equal(locks.some((l) => l.pid === 999), false);
});

Deno.test("sqliteLockRole names SQLite's WAL index bytes and the database file's exclusive range", () => {
  assert.deepEqual(sqliteLockRole("shm", 120, 120), { role: "its write lock", blocksWriters: true });
  assert.equal(sqliteLockRole("shm", 121, 121).role, "its checkpoint lock");
  assert.equal(sqliteLockRole("shm", 121, 121).blocksWriters, false);
  assert.equal(sqliteLockRole("shm", 123, 123).role, "a reader slot (checkpointing)");
  assert.match(sqliteLockRole("shm", 128, 128).role, /open lock/);
  assert.match(sqliteLockRole("db", 1073741826, 1073742335).role, /database file exclusively/);
});

Deno.test("registryLock prefers another process's write lock over a checkpoint and ignores its own", () => {
  const locks = parseProcLocks(LOCKS);
  assert.deepEqual(registryLock(locks, { shm: 77, db: 55 }, 1), { pid: 200, role: "its write lock" });
  assert.deepEqual(registryLock(locks, { shm: 77, db: 55 }, 200), {
    pid: 400,
    role: "the database file exclusively (closing: checkpointing the WAL)",
  });
  assert.deepEqual(registryLock(locks, { shm: 77 }, 200), { pid: 300, role: "its checkpoint lock" });
  assert.equal(registryLock(locks, { shm: 12345 }, 1), undefined);
});

Deno.test("processStateWords says what a holder is doing", () => {
  assert.equal(processStateWords("D"), "waiting for the disk");
  assert.equal(processStateWords("T"), "stopped");
  assert.equal(processStateWords("S"), "sleeping");
  assert.equal(processStateWords("Z"), "zombie");
});
