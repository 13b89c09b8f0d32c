/**
 * Parsing Linux's `/proc/locks` and reading what SQLite's locks on the registry mean: which byte
 * ranges of the database file and of its WAL index (`-shm`) a process holds, and for what. Pure.
 */

/** One line of `/proc/locks`. */
export interface FileLock {
  /** `POSIX` (what SQLite takes), `OFDLCK`, `FLOCK`, `LEASE`… */
  kind: string;
  write: boolean;
  /** The owner; -1 for open-file-description locks (no one process). */
  pid: number;
  inode: number;
  start: number;
  /** The last byte, or `Infinity` for "to the end of the file" (`EOF`). */
  end: number;
}

/** Parses `/proc/locks`; lines it does not understand (the `->` waiters, other layouts) are skipped. */
export function parseProcLocks(text: string): FileLock[] {
  const locks: FileLock[] = [];
  for (const line of text.split("\n")) {
    // "1: POSIX  ADVISORY  WRITE 1234 fe:00:16041711 120 120"
    const m =
      /^\d+:\s+(\S+)\s+\S+\s+(READ|WRITE)\s+(-?\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s+(\d+)\s+(\d+|EOF)\s*$/
        .exec(line);
    if (!m) continue;
    locks.push({
      kind: m[1] as string,
      write: m[2] === "WRITE",
      pid: Number(m[3]),
      inode: Number(m[4]),
      start: Number(m[5]),
      end: m[6] === "EOF" ? Infinity : Number(m[6]),
    });
  }
  return locks;
}

/** SQLite's lock bytes in the WAL index: 120 + the slot (src/wal.c), then the "open" byte. */
const SHM_WRITE = 120;
const SHM_CHECKPOINT = 121;
const SHM_RECOVER = 122;
const SHM_READERS_END = 127;
const SHM_OPEN = 128;
/** SQLite's lock bytes in the database file (src/os.h): PENDING, RESERVED, then 510 SHARED bytes. */
const DB_PENDING = 0x40000000;
const DB_SHARED_FIRST = DB_PENDING + 2;

/**
 * What an exclusive (WRITE) lock on these bytes means to SQLite in WAL mode, and how much it shuts
 * others out: `blocks` is true when other processes cannot read or write meanwhile (or cannot write).
 */
export function sqliteLockRole(
  file: "db" | "shm",
  start: number,
  end: number,
): { role: string; blocksWriters: boolean } {
  const covers = (byte: number) => start <= byte && byte <= end;
  if (file === "shm") {
    if (covers(SHM_WRITE)) return { role: "its write lock", blocksWriters: true };
    if (covers(SHM_CHECKPOINT)) return { role: "its checkpoint lock", blocksWriters: false };
    if (covers(SHM_RECOVER)) {
      return { role: "its recovery lock (rebuilding the WAL index)", blocksWriters: true };
    }
    if (start <= SHM_READERS_END && end >= SHM_RECOVER + 1) {
      return { role: "a reader slot (checkpointing)", blocksWriters: false };
    }
    if (covers(SHM_OPEN)) return { role: "its open lock (opening it first)", blocksWriters: true };
    return { role: `bytes ${start}-${end} of its WAL index`, blocksWriters: false };
  }
  if (start <= DB_SHARED_FIRST + 509 && end >= DB_SHARED_FIRST) {
    return { role: "the database file exclusively (closing: checkpointing the WAL)", blocksWriters: true };
  }
  if (covers(DB_PENDING) || covers(DB_PENDING + 1)) {
    return { role: "the database file's pending lock", blocksWriters: true };
  }
  return { role: `bytes ${start}-${end} of the database file`, blocksWriters: false };
}

/** A process's exclusive lock on the registry and what it is for. */
export interface RegistryLock {
  pid: number;
  role: string;
}

/**
 * The other process (not `ownPid`) holding an exclusive lock on the registry that keeps writers out,
 * from the parsed `/proc/locks` and the inodes of the database file and its WAL index: the write
 * lock first, then any other blocking one, then any at all.
 */
export function registryLock(
  locks: readonly FileLock[],
  inodes: { db?: number; shm?: number },
  ownPid: number,
): RegistryLock | undefined {
  const found: { pid: number; role: string; blocksWriters: boolean; writeLock: boolean }[] = [];
  for (const lock of locks) {
    if (!lock.write || lock.pid <= 0 || lock.pid === ownPid) continue;
    const file = lock.inode === inodes.shm ? "shm" : lock.inode === inodes.db ? "db" : undefined;
    if (file === undefined) continue;
    const { role, blocksWriters } = sqliteLockRole(file, lock.start, lock.end);
    found.push({
      pid: lock.pid,
      role,
      blocksWriters,
      writeLock: file === "shm" && role === "its write lock",
    });
  }
  const best = found.find((f) => f.writeLock) ?? found.find((f) => f.blocksWriters) ?? found[0];
  return best && { pid: best.pid, role: best.role };
}

/** A process state letter of `/proc/<pid>/stat` in words. */
export function processStateWords(state: string): string {
  switch (state) {
    case "R":
      return "running";
    case "S":
      return "sleeping";
    case "D":
      return "waiting for the disk";
    case "T":
      return "stopped";
    case "t":
      return "stopped by a debugger";
    case "Z":
      return "zombie";
    case "X":
      return "dead";
    case "I":
      return "idle";
    default:
      return `state ${state}`;
  }
}
