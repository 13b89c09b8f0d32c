/**
 * The `fronts` table: the URLs a branch's HTTPS front serves while its `treehouse run` wrapper runs
 * (`https://feature-x.local/`, or with a fallback port), so `list`, `info` and `env` can show them.
 * A row counts only while its wrapper process is the one that wrote it.
 */
import type { AliveCheck } from "./allocations.ts";
import type { Registry } from "./registry.ts";
import { connection } from "./connection.ts";

/** What a running front serves. */
export interface FrontRecord {
  allocation_id: number;
  wrapper_pid: number;
  wrapper_started_at: number | null;
  /** The best URL: https when served, else the port-less http one. */
  url: string;
  https_url: string | null;
  updated_at: number;
}

/** Records (or replaces) the front of an allocation. One short transaction. */
export function recordFront(registry: Registry, front: FrontRecord): void {
  registry.write(() =>
    connection(registry).prepare(
      `INSERT INTO fronts (allocation_id, wrapper_pid, wrapper_started_at, url, https_url, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (allocation_id) DO UPDATE SET wrapper_pid = excluded.wrapper_pid,
         wrapper_started_at = excluded.wrapper_started_at, url = excluded.url,
         https_url = excluded.https_url, updated_at = excluded.updated_at`,
    ).run(
      front.allocation_id,
      front.wrapper_pid,
      front.wrapper_started_at,
      front.url,
      front.https_url,
      front.updated_at,
    )
  );
}

/** Removes the front of an allocation, if this wrapper still owns it. */
export function clearFront(registry: Registry, allocationId: number, wrapperPid: number): void {
  registry.write(() =>
    connection(registry).prepare("DELETE FROM fronts WHERE allocation_id = ? AND wrapper_pid = ?").run(
      allocationId,
      wrapperPid,
    )
  );
}

/** The fronts whose wrapper still runs, by allocation id. */
export function liveFronts(registry: Registry, isAlive: AliveCheck): Map<number, FrontRecord> {
  const rows = connection(registry).prepare(
    "SELECT allocation_id, wrapper_pid, wrapper_started_at, url, https_url, updated_at FROM fronts",
  ).all() as Record<string, unknown>[];
  const found = new Map<number, FrontRecord>();
  for (const r of rows) {
    if (typeof r.url !== "string") continue;
    const front: FrontRecord = {
      allocation_id: Number(r.allocation_id),
      wrapper_pid: Number(r.wrapper_pid),
      wrapper_started_at: r.wrapper_started_at === null ? null : Number(r.wrapper_started_at),
      url: r.url,
      https_url: typeof r.https_url === "string" ? r.https_url : null,
      updated_at: Number(r.updated_at),
    };
    if (isAlive(front.wrapper_pid, front.wrapper_started_at)) found.set(front.allocation_id, front);
  }
  return found;
}
