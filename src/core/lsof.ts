/**
 * The one parser of `lsof -F` output (the macOS source of listeners, port holders and owners; Linux
 * reads `/proc/net` instead). Pure.
 */

/** One socket `lsof -F` named: its `n` line with the process and socket fields before it. */
export interface LsofSocket {
  pid: number;
  /** The `c` field, `?` when lsof gave none. */
  command: string;
  /** The `P` field lower-cased (`tcp`, `udp`); `tcp` when lsof gave none. */
  protocol: string;
  /** The `t` field: `ipv6` for IPv6, else `ipv4`. */
  family: "ipv4" | "ipv6";
  /** The local address without its port (`127.0.0.1`, `::1`; lsof's `*` is `0.0.0.0`). */
  address: string;
}

/** A process found holding a port, once per protocol and family (e.g. `tcp/ipv4`). */
export interface PortOwner {
  pid: number;
  command: string;
  protocol: string;
}

/**
 * Parses `lsof -F` output with any of the fields `p` (pid), `c` (command), `P` (protocol), `t`
 * (IPv4/IPv6) and `n` (address): one entry per `n` line, in order.
 */
export function parseLsof(text: string): LsofSocket[] {
  const sockets: LsofSocket[] = [];
  let pid = 0;
  let command = "?";
  let protocol = "tcp";
  let family: "ipv4" | "ipv6" = "ipv4";
  for (const line of text.split("\n")) {
    const value = line.slice(1);
    switch (line[0]) {
      case "p":
        pid = Number(value);
        break;
      case "c":
        command = value;
        break;
      case "P":
        protocol = value.toLowerCase();
        break;
      case "t":
        family = value.toLowerCase() === "ipv6" ? "ipv6" : "ipv4";
        break;
      case "n":
        sockets.push({ pid, command, protocol, family, address: lsofAddress(value) });
    }
  }
  return sockets;
}

/** An `lsof` name (`127.0.0.1:3000`, `[::1]:3000`, `*:3000`) as an address without its port. */
export function lsofAddress(name: string): string {
  return name.replace(/:\d+$/, "").replace(/^\[|\]$/g, "").replace(/^\*$/, "0.0.0.0");
}

/** The owners among `sockets`: one per process, protocol and family, in order (pid 0 = unknown, left out). */
export function portOwnersOf(sockets: readonly LsofSocket[]): PortOwner[] {
  const owners: PortOwner[] = [];
  const seen = new Set<string>();
  for (const s of sockets) {
    const protocol = `${s.protocol}/${s.family}`;
    const key = `${s.pid} ${protocol}`;
    if (s.pid > 0 && !seen.has(key)) {
      seen.add(key);
      owners.push({ pid: s.pid, command: s.command, protocol });
    }
  }
  return owners;
}
