/**
 * The rules that keep a local page with actions safe: loopback-only addresses, the `Host` check
 * against DNS rebinding, and the Origin + token check against cross-site requests. Pure.
 */
import { UsageError } from "../errors.ts";

/** A parsed `ADDR:PORT` on loopback. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/**
 * Parses `ADDR:PORT` (`127.0.0.1:4900`, `[::1]:4900`, `localhost:0`) and refuses anything that is
 * not loopback: the dashboard's actions must never be reachable from another machine.
 */
export function parseListen(text: string, source = "--listen"): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const hint = "Give a loopback address and a port, e.g. 127.0.0.1:4900 (port 0 picks a free one)";
  if (!m) throw new UsageError(`${source}: "${text}" is not ADDR:PORT`, { hint });
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`${source}: ${port} is not a port number`, { hint });
  let hostname = (m[1] ?? m[2] ?? "").toLowerCase();
  if (hostname === "localhost") hostname = "127.0.0.1";
  if (!isLoopback(hostname)) {
    throw new UsageError(`${source}: refusing to listen on ${hostname}: the dashboard binds loopback only`, {
      hint,
    });
  }
  return { hostname, port };
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(hostname: string): boolean {
  if (hostname === "::1") return true;
  const parts = hostname.split(".");
  return parts.length === 4 && parts[0] === "127" &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/**
 * The `Host` values the dashboard answers to: its address and the given names (`localhost`,
 * `treehouse.local`), each with its port (and without it on port 80).
 */
export function allowedHosts(address: ListenAddress, names: readonly string[]): Set<string> {
  const hosts = new Set<string>();
  const bare = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  for (const name of [bare, ...names]) {
    hosts.add(`${name}:${address.port}`.toLowerCase());
    if (address.port === 80) hosts.add(name.toLowerCase());
  }
  return hosts;
}

/** What a request carries that the guard looks at. */
export interface RequestFacts {
  method: string;
  host: string | null;
  origin: string | null;
  /** `Sec-Fetch-Site`, sent by browsers. */
  fetchSite: string | null;
  /** The token the request carries (header or query), if any. */
  token: string | null;
  /** Whether the route needs the token (actions, events, logs; not the page itself). */
  needsToken: boolean;
}

/** Why a request is refused (403), or `undefined` when it may proceed. */
export function refusal(req: RequestFacts, hosts: ReadonlySet<string>, token: string): string | undefined {
  const host = (req.host ?? "").toLowerCase();
  if (!hosts.has(host)) return "unknown Host";
  if (req.origin !== null) {
    const own = [...hosts].some((h) => req.origin === `http://${h}`);
    if (!own) return "foreign Origin";
  }
  if (!req.needsToken) return undefined; // the page itself: a link from elsewhere may open it
  if (req.fetchSite !== null && !["same-origin", "none"].includes(req.fetchSite)) return "cross-site request";
  if (req.token === null || !sameSecret(req.token, token)) return "missing or wrong token";
  return undefined;
}

/** Compares two secrets in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
