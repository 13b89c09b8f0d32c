/**
 * Linux socket ownership: which processes hold given socket inodes (from `/proc/net/*` tables), found
 * by walking `/proc/<pid>/fd`. Shared by `run`'s port check and `port info`.
 */
import { readCmdline } from "../proc/process-info.ts";

/** A process holding one of the sockets asked about. */
export interface SocketOwner<T> {
  pid: number;
  command: string;
  /** What the caller attached to the socket's inode (its address, its protocol…). */
  socket: T;
}

/**
 * Processes whose open file descriptors include one of `inodes` (only processes we may inspect),
 * one entry per process and socket kind.
 */
export function socketOwners<T>(inodes: ReadonlyMap<string, T>): SocketOwner<T>[] {
  if (inodes.size === 0) return [];
  let procs: Iterable<Deno.DirEntry>;
  try {
    procs = Deno.readDirSync("/proc");
  } catch {
    return [];
  }
  const owners: SocketOwner<T>[] = [];
  for (const entry of procs) {
    if (!/^\d+$/.test(entry.name)) continue;
    const seen = new Set<T>();
    try {
      for (const fd of Deno.readDirSync(`/proc/${entry.name}/fd`)) {
        let link: string;
        try {
          link = Deno.readLinkSync(`/proc/${entry.name}/fd/${fd.name}`);
        } catch {
          continue;
        }
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        const socket = inode === undefined ? undefined : inodes.get(inode);
        if (socket !== undefined && !seen.has(socket)) {
          seen.add(socket);
          owners.push({ pid: Number(entry.name), command: commandOf(entry.name), socket });
        }
      }
    } catch { /* another user's process, or it exited while we looked */ }
  }
  return owners;
}

/** A process's command line (cut at 120 characters), its name, or `?`. */
export function commandOf(pid: string | number): string {
  const cmd = readCmdline(pid)?.join(" ");
  if (cmd) return cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd;
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "?";
  }
}
