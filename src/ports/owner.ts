/**
 * Which process holds a port, where the OS says: on Linux the socket tables of `/proc/net` give the
 * socket's inode and `/proc/<pid>/fd` links name its process (only processes we may inspect).
 */
import { procRows } from "./occupancy.ts";

/** A process found holding a port. */
export interface PortOwner {
  pid: number;
  command: string;
  protocol: string;
}

/** Owners of `port` (TCP listeners and bound UDP sockets); empty when unknown or not Linux. */
export function portOwners(port: number): PortOwner[] {
  if (Deno.build.os !== "linux") return [];
  const inodes = new Map<string, string>();
  for (
    const [file, proto, listenOnly] of [
      ["/proc/net/tcp", "tcp/ipv4", true],
      ["/proc/net/tcp6", "tcp/ipv6", true],
      ["/proc/net/udp", "udp/ipv4", false],
      ["/proc/net/udp6", "udp/ipv6", false],
    ] as const
  ) {
    for (const row of procRows(file)) {
      if (row.port === port && (!listenOnly || row.state === "0A") && row.inode !== "0") {
        inodes.set(row.inode, proto);
      }
    }
  }
  if (inodes.size === 0) return [];
  const owners: PortOwner[] = [];
  let procs: Iterable<Deno.DirEntry>;
  try {
    procs = Deno.readDirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of procs) {
    if (!/^\d+$/.test(entry.name)) continue;
    let fds: Iterable<Deno.DirEntry>;
    try {
      fds = Deno.readDirSync(`/proc/${entry.name}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    try {
      for (const fd of fds) {
        let link: string;
        try {
          link = Deno.readLinkSync(`/proc/${entry.name}/fd/${fd.name}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        const proto = m ? inodes.get(m[1] as string) : undefined;
        if (proto) owners.push({ pid: Number(entry.name), command: commandOf(entry.name), protocol: proto });
      }
    } catch { /* the process exited while we looked */ }
  }
  return owners;
}

function commandOf(pid: string): string {
  try {
    const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean).join(" ");
    if (cmd) return cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd;
  } catch { /* fall through */ }
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "?";
  }
}
