/**
 * Who listens on a port, where the OS says: the addresses listening on a TCP port (for `run`'s check
 * of where its server bound), the processes holding a port in a way that collides with an IP (a
 * listener on 0.0.0.0 or `::` collides with every loopback IP at that port), and the owners of a port
 * (TCP listeners and bound UDP sockets, for `port info`). On Linux from the socket tables of
 * `/proc/net` (the socket's inode) and the `/proc/<pid>/fd` links naming its process (only processes
 * we may inspect); elsewhere (macOS) from `lsof` when it is installed (core/lsof.ts parses it).
 */
import { probeOutput } from "../process/spawn.ts";
import { readCmdline } from "../proc/process-info.ts";
import { collides, parseProcNet, TCP_LISTEN } from "../../core/proc-net.ts";
import { parseLsof, type PortOwner, portOwnersOf } from "../../core/lsof.ts";
import { procRows } from "./occupancy.ts";

/**
 * {@link listeningAddresses} without holding the event loop on Linux: the kernel's socket tables are
 * read off the loop (a read of `/proc/net/tcp` can take tens of ms on a busy machine, while `run`'s
 * HTTPS front waits for the loop to pass its connections). Elsewhere the same probe as the sync one.
 */
export async function listeningAddressesAsync(port: number, os: string): Promise<string[]> {
  if (os !== "linux") return listeningAddresses(port, os);
  const found: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch {
      continue; // not readable: this check only advises
    }
    for (const s of parseProcNet(text)) if (s.state === TCP_LISTEN && s.port === port) found.push(s.address);
  }
  return [...new Set(found)];
}

/** Addresses (`127.0.0.10`, `0.0.0.0`, `::`, `::1`) with a listening TCP socket at `port`. */
export function listeningAddresses(port: number, os: string): string[] {
  if (os === "linux") {
    const found: string[] = [];
    for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      try {
        for (const s of procRows(file)) if (s.state === TCP_LISTEN && s.port === port) found.push(s.address);
      } catch { /* not readable: this check only advises */ }
    }
    return [...new Set(found)];
  }
  const out = probeOutput("lsof", ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fn"]);
  return out ? [...new Set(parseLsof(out.stdout).map((s) => s.address))] : [];
}

/** A process listening on a port. */
export interface PortHolder {
  pid: number;
  command: string;
  /** The address it listens on (`0.0.0.0`, `::`, `127.0.0.42`…). */
  address: string;
}

/** Parses `/proc/net/tcp` or `tcp6` text: the inodes of sockets listening on `port`, with their address. Pure. */
export function parseProcNetTcp(text: string, port: number): { address: string; inode: string }[] {
  return parseProcNet(text).filter((s) => s.state === TCP_LISTEN && s.port === port)
    .map((s) => ({ address: s.address, inode: s.inode }));
}

export { collides };

/** Who listens on `port` in a way that collides with `ip` (best effort; empty when the OS does not say). */
export function findPortHolders(ip: string, port: number, os: string): PortHolder[] {
  return os === "linux" ? linuxHolders(ip, port) : lsofHolders(ip, port);
}

function linuxHolders(ip: string, port: number): PortHolder[] {
  const sockets = new Map<string, string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const s of procRows(file)) {
      if (s.state === TCP_LISTEN && s.port === port && collides(s.address, ip)) {
        sockets.set(s.inode, s.address);
      }
    }
  }
  return socketOwners(sockets).map((o) => ({ pid: o.pid, command: o.command, address: o.socket }));
}

function lsofHolders(ip: string, port: number): PortHolder[] {
  const out = probeOutput("lsof", ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fpcn"]);
  if (!out) return [];
  return parseLsof(out.stdout).filter((s) => collides(s.address, ip))
    .map((s) => ({ pid: s.pid, command: s.command, address: s.address }));
}

export type { PortOwner };

/** Owners of `port` (TCP listeners and bound UDP sockets); empty when the OS does not say. */
export function portOwners(port: number, os: string): PortOwner[] {
  if (os !== "linux") return lsofOwners(port);
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
      if (row.port === port && (!listenOnly || row.state === TCP_LISTEN) && row.inode !== "0") {
        inodes.set(row.inode, proto);
      }
    }
  }
  return socketOwners(inodes).map((o) => ({ pid: o.pid, command: o.command, protocol: o.socket }));
}

/** Asks `lsof` for TCP listeners and UDP sockets on `port`; empty when lsof is missing or silent. */
function lsofOwners(port: number): PortOwner[] {
  const out = probeOutput("lsof", ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", `-iUDP:${port}`, "-FpcPtn"]);
  return out ? portOwnersOf(parseLsof(out.stdout)) : [];
}

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
