/**
 * Is a port in use right now? TCP is a bind probe on the wildcard addresses (0.0.0.0 and ::), which
 * also catches a server on one specific address such as 127.0.0.1. UDP needs an API Deno keeps
 * unstable, so on Linux the kernel's socket tables (`/proc/net/udp`, `udp6`) answer instead; other
 * systems skip the UDP check.
 */
import { PermissionError } from "../../errors.ts";
import { parseProcNet, type ProcSocket, TCP_LISTEN } from "../../core/proc-net.ts";

/** Which checks to run (the `ports.occupancy` settings). */
export interface OccupancyChecks {
  tcp: boolean;
  udp: boolean;
  ipv4: boolean;
  ipv6: boolean;
}

/** What a probe found for one port. */
export interface Occupancy {
  occupied: boolean;
  /** Which checks found it in use, e.g. `tcp/ipv4`. */
  by: string[];
}

/** A probe: one port at a time, with the UDP tables read once per probe (on Linux: `os`). */
export function makeProbe(checks: OccupancyChecks, os: string): (port: number) => Occupancy {
  let udp: { v4: Set<number>; v6: Set<number> } | undefined;
  return (port) => {
    const by: string[] = [];
    if (checks.tcp) {
      if (checks.ipv4 && !tcpFree("0.0.0.0", port)) by.push("tcp/ipv4");
      if (checks.ipv6 && !tcpFree("::", port)) by.push("tcp/ipv6");
    }
    if (checks.udp && os === "linux") {
      udp ??= { v4: procPorts("/proc/net/udp", false), v6: procPorts("/proc/net/udp6", false) };
      if (checks.ipv4 && udp.v4.has(port)) by.push("udp/ipv4");
      if (checks.ipv6 && udp.v6.has(port)) by.push("udp/ipv6");
    }
    return { occupied: by.length > 0, by };
  };
}

/** The outcome of {@link checkPortFree}. */
export type PortCheck =
  | { free: true }
  | { free: false; reason: "in-use" | "denied" | "unavailable"; error: Error };

/** The one bind probe: tries to bind a TCP listener on `hostname:port` and closes it at once. */
export function checkPortFree(hostname: string, port: number): PortCheck {
  try {
    const listener = Deno.listen({ hostname, port, transport: "tcp" });
    listener.close();
    return { free: true };
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return { free: false, reason: "in-use", error };
    if (error instanceof Deno.errors.PermissionDenied) return { free: false, reason: "denied", error };
    return { free: false, reason: "unavailable", error: error as Error };
  }
}

/**
 * True when a TCP listener could bind `hostname:port` now (unsupported address families count as free).
 * A port this user may not bind (below 1024 without root on Linux) is looked up among the kernel's
 * listening sockets instead: free there means free for the service that will run as root.
 */
export function tcpFree(hostname: string, port: number): boolean {
  const check = checkPortFree(hostname, port);
  return check.free || bindErrorMeansFree(check.error, () => tcpListening(port, hostname.includes(":")));
}

/**
 * What a failed bind probe says about the port: in use → taken; permission denied → whatever
 * `listening()` finds; anything else (address family not supported…) → free. Pure.
 */
export function bindErrorMeansFree(error: unknown, listening: () => boolean): boolean {
  if (error instanceof Deno.errors.AddrInUse) return false;
  if (error instanceof Deno.errors.PermissionDenied) return !listening();
  return true;
}

/** Whether the kernel lists a TCP socket listening on `port` (Linux; false where /proc is absent). */
export function tcpListening(port: number, ipv6: boolean): boolean {
  return procPorts(ipv6 ? "/proc/net/tcp6" : "/proc/net/tcp", true).has(port);
}

/** Local ports in a `/proc/net/{tcp,udp}[6]` table (`listenOnly`: TCP LISTEN state only). */
export function procPorts(file: string, listenOnly: boolean): Set<number> {
  const ports = new Set<number>();
  for (const row of procRows(file)) {
    if (!listenOnly || row.state === TCP_LISTEN) ports.add(row.port);
  }
  return ports;
}

export type { ProcSocket };

/**
 * Parses a `/proc/net/{tcp,udp}[6]` table; empty when the system has none. Deno lets a program read
 * these tables only with all permissions (`--allow-all`, as treehouse is installed): under narrower
 * permissions every port would look free, so that is an error saying so, never an empty table.
 */
export function procRows(file: string): ProcSocket[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw procNetNeedsAll(file, error);
    return [];
  }
  return parseProcNet(text);
}

/** The error for a kernel socket table Deno would not let this process read. */
export function procNetNeedsAll(file: string, cause: unknown): PermissionError {
  return new PermissionError(
    `Cannot read ${file}: Deno allows reading the kernel's socket tables only with all permissions, ` +
      "and without them every port would look free",
    { hint: "Run treehouse with --allow-all (deno run -A …), as the installed command does", cause },
  );
}
