/**
 * Is IP:port free, and if not, who holds it? A listener on 0.0.0.0 or `::` at a port collides with
 * every loopback IP at that port, so both are checked. The holder comes from `/proc/net/tcp*` on
 * Linux and `lsof` elsewhere, when the OS tells.
 */
import { probeOutput } from "../process/spawn.ts";
import { socketOwners } from "./sockets.ts";
import { procNetNeedsAll } from "./occupancy.ts";

/** A process listening on a port. */
export interface PortHolder {
  pid: number;
  command: string;
  /** The address it listens on (`0.0.0.0`, `::`, `127.0.0.42`…). */
  address: string;
}

/** The outcome of {@link checkPortFree}. */
export type PortCheck =
  | { free: true }
  | { free: false; reason: "in-use" | "denied" | "unavailable"; error: Error };

/** Tries to bind IP:port and closes at once. */
export function checkPortFree(ip: string, port: number): PortCheck {
  try {
    const listener = Deno.listen({ hostname: ip, port, transport: "tcp" });
    listener.close();
    return { free: true };
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return { free: false, reason: "in-use", error };
    if (error instanceof Deno.errors.PermissionDenied) return { free: false, reason: "denied", error };
    return { free: false, reason: "unavailable", error: error as Error };
  }
}

/** Parses `/proc/net/tcp` or `tcp6` text: the inodes of sockets listening on `port`, with their address. Pure. */
export function parseProcNetTcp(text: string, port: number): { address: string; inode: string }[] {
  const found: { address: string; inode: string }[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== "0A") continue; // 0A = LISTEN
    const [hexAddr, hexPort] = (f[1] ?? "").split(":");
    if (!hexAddr || !hexPort || parseInt(hexPort, 16) !== port) continue;
    found.push({ address: decodeAddress(hexAddr), inode: f[9] ?? "" });
  }
  return found;
}

/** Decodes the kernel's little-endian-per-word hex address. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes: number[] = [];
  for (const w of words) {
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(w.slice(i, i + 2), 16));
  }
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join(".");
  }
  if (bytes.every((b) => b === 0)) return "::";
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}

/** True when a listener on `address` collides with `ip`. */
export function collides(address: string, ip: string): boolean {
  return address === ip || address === "0.0.0.0" || address === "::";
}

/** Who listens on `port` in a way that collides with `ip` (best effort; empty when the OS does not say). */
export function findPortHolders(ip: string, port: number): PortHolder[] {
  return Deno.build.os === "linux" ? linuxHolders(ip, port) : lsofHolders(ip, port);
}

function linuxHolders(ip: string, port: number): PortHolder[] {
  const sockets = new Map<string, string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      for (const s of parseProcNetTcp(Deno.readTextFileSync(file), port)) {
        if (collides(s.address, ip)) sockets.set(s.inode, s.address);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw procNetNeedsAll(file, error);
      /* no IPv6, or not readable */
    }
  }
  return socketOwners(sockets).map((o) => ({ pid: o.pid, command: o.command, address: o.socket }));
}

function lsofHolders(ip: string, port: number): PortHolder[] {
  const out = probeOutput("lsof", ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fpcn"]);
  if (!out) return [];
  const holders: PortHolder[] = [];
  let pid = 0;
  let command = "?";
  for (const line of out.stdout.split("\n")) {
    if (line.startsWith("p")) pid = Number(line.slice(1));
    else if (line.startsWith("c")) command = line.slice(1);
    else if (line.startsWith("n")) {
      const address = line.slice(1).replace(/:\d+$/, "").replace(/^\[|\]$/g, "").replace("*", "0.0.0.0");
      if (collides(address, ip)) holders.push({ pid, command, address });
    }
  }
  return holders;
}
