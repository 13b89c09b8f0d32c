/**
 * The addresses listening on a TCP port now: `/proc/net/tcp{,6}` on Linux, `lsof` on macOS (through
 * the process adapter's probe). For `run`'s check of where its server bound.
 */
import { probeOutput } from "../process/spawn.ts";
import { parseProcNet, TCP_LISTEN } from "../../core/proc-net.ts";
import { procRows } from "./occupancy.ts";
import { parseLsof } from "../../core/lsof.ts";

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
