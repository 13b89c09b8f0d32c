/**
 * Who holds the registry's lock, as the kernel reports it (`/proc/locks`, then `/proc/<pid>/stat` and
 * `cmdline`): Linux only; `undefined` elsewhere or when nobody does. The parsing is src/core/proc-locks.ts.
 */
import { parseProcLocks, processStateWords, registryLock } from "../../core/proc-locks.ts";
import { readCmdline, readProcStat } from "./process-info.ts";

/** A process holding a lock on the registry. */
export interface LockHolder {
  pid: number;
  /** Its command line, shortened. */
  command: string;
  /** Its state letter (`R`, `S`, `D`, `T`, `Z`…), when it could be read. */
  state?: string;
  /** Its state in words: "sleeping", "waiting for the disk", "stopped"… */
  stateWords?: string;
  /** Which lock: "its write lock", "the database file exclusively (closing…)"… */
  role: string;
}

/**
 * The other process (not `ownPid`) holding an exclusive lock on the registry at `path`: on its WAL
 * index `-shm`, or on the database file itself.
 */
export function registryLockHolder(path: string, ownPid: number): LockHolder | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/locks");
  } catch {
    return undefined;
  }
  const inode = (file: string) => {
    try {
      const ino = Deno.statSync(file).ino;
      return ino === null ? undefined : ino;
    } catch {
      return undefined;
    }
  };
  const lock = registryLock(parseProcLocks(text), { db: inode(path), shm: inode(`${path}-shm`) }, ownPid);
  if (!lock) return undefined;
  const state = readProcStat(lock.pid)?.state;
  return {
    pid: lock.pid,
    command: commandOf(lock.pid),
    ...(state ? { state, stateWords: processStateWords(state) } : {}),
    role: lock.role,
  };
}

function commandOf(pid: number): string {
  const text = (readCmdline(pid) ?? []).join(" ").replace(/\s+/g, " ").trim();
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
