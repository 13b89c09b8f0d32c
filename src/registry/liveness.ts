/**
 * Liveness of allocations: clearing the process of a stopped run and cleaning up stale records
 * (dead or reused pid, heartbeat older than the stale time) on every `run` start.
 */
import { chooseHostname } from "../core/hostname.ts";
import { isStale } from "../core/policy.ts";
import { type AliveCheck, type Allocation, listAllocations, toAllocation } from "./allocations.ts";
import { type Registry, withBusyWait } from "./registry.ts";
import { connection } from "./connection.ts";

/**
 * Clears the recorded process of allocation `id` if it is still `pid` (another run may have taken
 * over meanwhile). The allocation itself stays: its IP is sticky. Returns whether it was cleared.
 */
export function clearProcess(registry: Registry, id: number, pid: number, now: number): boolean {
  return registry.write(() =>
    Number(
      connection(registry).prepare(
        "UPDATE allocations SET pid = NULL, pid_started_at = NULL, last_seen_at = ? WHERE id = ? AND pid = ?",
      ).run(now, id, pid).changes,
    ) > 0
  );
}

/**
 * Finds allocations whose recorded process is dead (not running, or a different process under a
 * reused pid) and whose heartbeat is older than `staleAfterMs`, and clears their pid so they show as
 * STOPPED and become reclaimable. Liveness is checked outside the transaction; the update only
 * touches rows that still hold the same pid. Returns the cleaned allocations.
 */
export function cleanupStale(
  registry: Registry,
  now: number,
  staleAfterMs: number,
  isAlive: AliveCheck,
): Allocation[] {
  const candidates = listAllocations(registry).filter((a) =>
    a.pid !== null &&
    now - a.last_seen_at >= staleAfterMs && // a fresh heartbeat is never stale: no liveness check needed
    isStale(
      { id: a.id, last_seen_at: a.last_seen_at, alive: isAlive(a.pid, a.pid_started_at) },
      now,
      staleAfterMs,
    )
  );
  if (candidates.length === 0) return [];
  return registry.write(() => {
    const cleaned: Allocation[] = [];
    for (const a of candidates) {
      const row = connection(registry).prepare(
        "UPDATE allocations SET pid = NULL, pid_started_at = NULL WHERE id = ? AND pid IS ? AND last_seen_at = ? " +
          "RETURNING id, project_path, branch, ip, hostname, db_name, port, pid, pid_started_at, allocated_at, last_seen_at",
      ).get(a.id, a.pid, a.last_seen_at);
      if (row) {
        cleaned.push({ ...toAllocation(row, registry.path), pid: a.pid, pid_started_at: a.pid_started_at });
      }
    }
    return cleaned;
  });
}

/**
 * Gives allocation `a` the hostname label `name` (`run --name`), made unique like a new one. Returns
 * the allocation as stored.
 */
export function relabel(
  registry: Registry,
  a: Allocation,
  name: string,
  avoid: readonly string[] = [],
): Allocation {
  return registry.write(() => {
    const taken = new Set(
      connection(registry).prepare("SELECT hostname FROM allocations WHERE id != ?").all(a.id).map((r) =>
        String(r.hostname)
      ),
    );
    for (const label of avoid) taken.add(label);
    const hostname = chooseHostname(a.branch, a.project_path, taken, name);
    if (hostname === a.hostname) return a;
    connection(registry).prepare("UPDATE allocations SET hostname = ? WHERE id = ?").run(hostname, a.id);
    return { ...a, hostname };
  });
}

/** How long a heartbeat waits for another writer before skipping this beat. */
export const HEARTBEAT_BUSY_MS = 250;

/**
 * One heartbeat: refreshes `last_seen_at` in a single autocommit UPDATE that waits at most
 * {@link HEARTBEAT_BUSY_MS} for the write lock, so a busy registry never stalls the wrapper (which
 * must stay free to forward signals). Returns `"ok"`, `"busy"` (skipped; the next beat retries) or
 * `"gone"` (the allocation was released meanwhile).
 */
export function heartbeat(registry: Registry, id: number, now: number): "ok" | "busy" | "gone" {
  return withBusyWait(registry, HEARTBEAT_BUSY_MS, (db) => {
    const changes = Number(
      db.prepare("UPDATE allocations SET last_seen_at = ? WHERE id = ?").run(now, id).changes,
    );
    return changes > 0 ? "ok" : "gone";
  });
}
