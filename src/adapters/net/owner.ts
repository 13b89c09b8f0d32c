/**
 * Which process holds a port, where the OS says: on Linux the socket tables of `/proc/net` give the
 * socket's inode and `/proc/<pid>/fd` links name its process (only processes we may inspect);
 * elsewhere (macOS) `lsof` answers when it is installed.
 */
import { TCP_LISTEN } from "../../core/proc-net.ts";
import { procRows } from "./occupancy.ts";
import { socketOwners } from "./sockets.ts";
import { probeOutput } from "../process/spawn.ts";
import { parseLsof, type PortOwner, portOwnersOf } from "../../core/lsof.ts";

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
