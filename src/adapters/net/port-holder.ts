/**
 * Is IP:port free, and if not, who holds it? A listener on 0.0.0.0 or `::` at a port collides with
 * every loopback IP at that port, so both are checked. The holder comes from `/proc/net/tcp*` on
 * Linux and `lsof` elsewhere, when the OS tells.
 */
import { probeOutput } from "../process/spawn.ts";
import { socketOwners } from "./sockets.ts";
import { collides, parseProcNet, TCP_LISTEN } from "../../core/proc-net.ts";
import { procRows } from "./occupancy.ts";
import { parseLsof } from "../../core/lsof.ts";

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
