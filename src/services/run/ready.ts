/** `run --ready PORT|URL`: wait until the server accepts connections or answers HTTP. */
import { UsageError } from "../../errors.ts";

/** What to wait for. */
export type ReadyTarget = { kind: "port"; hostname: string; port: number } | { kind: "url"; url: string };

/** Parses `--ready`: a port number (on the branch's IP) or an http(s) URL; `given` is the value as typed. */
export function parseReady(value: string, ip: string, given = value): ReadyTarget {
  if (/^\d+$/.test(value)) {
    const port = Number(value);
    if (port >= 1 && port <= 65535) return { kind: "port", hostname: ip, port };
  } else if (/^https?:\/\//i.test(value)) {
    try {
      return { kind: "url", url: new URL(value).href };
    } catch { /* fall through */ }
  }
  throw new UsageError(`Invalid --ready value "${given}"`, {
    hint: "Use a port (--ready 4000, checked on the branch's IP) or a URL, placeholders allowed " +
      "(--ready '{url}/health', --ready http://127.0.0.10:4000/health)",
  });
}

/** One attempt: true when the port accepts a connection or the URL gives any HTTP answer. */
export async function probe(target: ReadyTarget): Promise<boolean> {
  if (target.kind === "port") {
    try {
      const conn = await Deno.connect({ hostname: target.hostname, port: target.port });
      conn.close();
      return true;
    } catch {
      return false;
    }
  }
  try {
    const response = await fetch(target.url, { signal: AbortSignal.timeout(2000), redirect: "manual" });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls `target` every 100 ms until it answers (`"ready"`), `deadline` passes (`"timeout"`) or
 * `abandon` resolves (`"abandoned"`, e.g. the child exited).
 */
export async function waitReady(
  target: ReadyTarget,
  deadline: number,
  abandon: Promise<unknown>,
): Promise<"ready" | "timeout" | "abandoned"> {
  let abandoned = false;
  abandon.then(() => (abandoned = true), () => (abandoned = true));
  while (!abandoned) {
    if (await probe(target)) return "ready";
    if (abandoned) break;
    if (Date.now() >= deadline) return "timeout";
    await new Promise((r) => setTimeout(r, 100));
  }
  return "abandoned";
}
