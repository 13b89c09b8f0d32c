/**
 * Effective settings for the allocation commands. Today they come from `TREEHOUSE_*` variables and
 * built-in defaults; the configuration files (see `src/config/`) feed the same object.
 */
import { DEFAULT_POOL, parsePool, type Pool } from "../core/pool.ts";
import { parseDuration } from "../core/duration.ts";
import { DEFAULT_RECLAIM_AFTER_MS, DEFAULT_STALE_AFTER_MS } from "../core/policy.ts";
import { UsageError } from "../errors.ts";
import type { Env } from "../registry/path.ts";

/** Default port a branch's server listens on when nothing else says. */
export const DEFAULT_PORT = 4000;
/** Heartbeat interval: 60 s, as the registry's stale rule assumes. */
export const DEFAULT_HEARTBEAT_MS = 60_000;

/** Settings used by allocation and `run`. */
export interface Settings {
  pool: Pool;
  reclaimAfterMs: number;
  staleAfterMs: number;
  heartbeatMs: number;
  defaultPort: number;
}

/** Reads settings from the environment over the defaults; invalid values are usage errors. */
export function loadSettings(env: Env): Settings {
  const pool = env("TREEHOUSE_POOL");
  const reclaim = env("TREEHOUSE_RECLAIM_AFTER");
  const stale = env("TREEHOUSE_STALE_AFTER");
  const heartbeat = env("TREEHOUSE_HEARTBEAT");
  const port = env("PORT");
  return {
    pool: parsePool(pool || DEFAULT_POOL, "TREEHOUSE_POOL"),
    reclaimAfterMs: reclaim ? parseDuration(reclaim, "TREEHOUSE_RECLAIM_AFTER") : DEFAULT_RECLAIM_AFTER_MS,
    staleAfterMs: stale ? parseDuration(stale, "TREEHOUSE_STALE_AFTER") : DEFAULT_STALE_AFTER_MS,
    heartbeatMs: heartbeat ? parseDuration(heartbeat, "TREEHOUSE_HEARTBEAT") : DEFAULT_HEARTBEAT_MS,
    defaultPort: port ? parsePort(port, "PORT") : DEFAULT_PORT,
  };
}

/** Parses a TCP port number (1–65535). */
export function parsePort(text: string, source: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 65535) {
    throw new UsageError(`Invalid port in ${source}: "${text}"`, { hint: "Use a number from 1 to 65535" });
  }
  return n;
}
