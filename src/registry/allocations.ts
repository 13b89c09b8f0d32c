/**
 * Allocations: one loopback IP, hostname and database name per (project, branch). The rules (pool,
 * names, reclaim) live in `src/core`; this file runs them inside registry transactions.
 */
import { recordCheckout, recordedCheckout } from "./checkouts.ts";
import { PoolExhaustedError, ReadOnlyRegistryError, RegistryError } from "../errors.ts";
import { chooseHostname } from "../core/hostname.ts";
import { databaseName } from "../core/sanitize.ts";
import { formatPool, intToIp, ipToInt, lowestFreeIp, type Pool, poolSize } from "../core/pool.ts";
import { chooseReclaim } from "../core/policy.ts";
import { formatAge } from "../core/duration.ts";
import type { DatabaseSync } from "node:sqlite";
import type { Registry } from "./registry.ts";
import { connection } from "./connection.ts";

/** One row of the `allocations` table; the field names are the public JSON names. */
export interface Allocation {
  id: number;
  project_path: string;
  branch: string;
  ip: string;
  hostname: string;
  db_name: string;
  port: number | null;
  pid: number | null;
  pid_started_at: number | null;
  allocated_at: number;
  last_seen_at: number;
}

/** Decides whether a recorded process is still the one that was recorded. */
export type AliveCheck = (pid: number, startedAt: number | null) => boolean;

/** What get-or-allocate needs. */
export interface AllocateRequest {
  project_path: string;
  branch: string;
  /** Application name for the database name (project directory name by default). */
  app: string;
  pool: Pool;
  now: number;
  reclaimAfterMs: number;
  isAlive: AliveCheck;
  /** Preferred hostname label (`run --name`); still made unique. */
  name?: string;
  /** The linked worktree's git dir the branch is used from (see Target.checkout; null: the main worktree). */
  checkout?: string | null;
  /** Labels never given (the machine's own mDNS host name); asked only when a new name is chosen. */
  reserved?: () => readonly string[];
}

/** The outcome of get-or-allocate. */
export interface AllocateResult {
  allocation: Allocation;
  created: boolean;
  /** The allocation that was taken over to make room, if any. */
  reclaimed?: Allocation;
}

const COLUMNS =
  "id, project_path, branch, ip, hostname, db_name, port, pid, pid_started_at, allocated_at, last_seen_at";

/** A row of the allocations table that fails validation; the message names it so it can be released. */
export class InvalidAllocationRowError extends RegistryError {}

/** Names a raw row for a message: its id, branch and project as far as they are readable. */
function describeRow(r: Record<string, unknown> | undefined): string {
  if (!r) return "";
  const branch = typeof r.branch === "string" ? ` for branch "${r.branch}"` : "";
  const project = typeof r.project_path === "string" ? ` of ${r.project_path}` : "";
  return ` (id ${String(r.id)}${branch}${project})`;
}

/** The raw row of (project, branch), unvalidated, or undefined. */
function rowOf(
  db: DatabaseSync,
  project_path: string,
  branch: string,
): Record<string, unknown> | undefined {
  return db.prepare(`SELECT ${COLUMNS} FROM allocations WHERE project_path = ? AND branch = ?`)
    .get(project_path, branch) as Record<string, unknown> | undefined;
}

/** Validates a row read back from disk, so a hand-edited registry fails clearly. */
export function toAllocation(row: unknown, path: string): Allocation {
  const r = row as Record<string, unknown>;
  const int = (v: unknown) => typeof v === "number" || typeof v === "bigint";
  const okNullableInt = (v: unknown) => v === null || int(v);
  if (
    !r || !int(r.id) || typeof r.project_path !== "string" || typeof r.branch !== "string" ||
    typeof r.ip !== "string" || typeof r.hostname !== "string" || typeof r.db_name !== "string" ||
    !okNullableInt(r.port) || !okNullableInt(r.pid) || !okNullableInt(r.pid_started_at) ||
    !int(r.allocated_at) || !int(r.last_seen_at)
  ) {
    const release = r && typeof r.branch === "string" && typeof r.project_path === "string"
      ? `treehouse release --branch '${r.branch.replaceAll("'", "'\\''")}' --project '${
        r.project_path.replaceAll("'", "'\\''")
      }'`
      : "treehouse release";
    throw new InvalidAllocationRowError(`Registry ${path} holds an invalid allocation row${describeRow(r)}`, {
      hint: `Release it with \`${release}\` or move the registry away`,
    });
  }
  const n = (v: unknown) => (v === null ? null : Number(v));
  return {
    id: Number(r.id),
    project_path: r.project_path,
    branch: r.branch,
    ip: r.ip,
    hostname: r.hostname,
    db_name: r.db_name,
    port: n(r.port),
    pid: n(r.pid),
    pid_started_at: n(r.pid_started_at),
    allocated_at: Number(r.allocated_at),
    last_seen_at: Number(r.last_seen_at),
  };
}

/**
 * How stale `last_seen_at` may get before a lookup refreshes it. Below this a repeated lookup (a prompt
 * calling `treehouse ip` every time) is a plain read: no write lock, no WAL append, nothing to
 * checkpoint when the connection closes. Reclaiming (7 days) and staleness (30 minutes) are far coarser.
 */
export const LAST_SEEN_REFRESH_MS = 60_000;

/**
 * Returns the allocation of (project, branch), refreshing `last_seen_at` when it is older than
 * {@link LAST_SEEN_REFRESH_MS}, or allocates the lowest free IP of the pool. When the pool is full,
 * reclaims the least recently seen allocation that is old enough and whose process is dead;
 * otherwise throws {@link PoolExhaustedError}.
 */
export function getOrAllocate(registry: Registry, req: AllocateRequest): AllocateResult {
  const [seen, checkoutKnown] = registry.read(() => [
    rowOf(connection(registry), req.project_path, req.branch),
    req.checkout === undefined ||
    recordedCheckout(connection(registry), req.project_path, req.branch) === req.checkout,
  ]);
  if (seen && checkoutKnown) {
    const allocation = toAllocation(seen, registry.path);
    const age = req.now - allocation.last_seen_at;
    if (age >= 0 && age < LAST_SEEN_REFRESH_MS) return { allocation, created: false };
  }
  try {
    return allocateOrTouch(registry, req);
  } catch (error) {
    // A registry that cannot be written still answers for an allocation it holds (without the
    // refresh of last_seen_at); a new allocation is the read-only error with its chmod hint.
    if (seen && error instanceof ReadOnlyRegistryError) {
      return { allocation: toAllocation(seen, registry.path), created: false };
    }
    throw error;
  }
}

function allocateOrTouch(registry: Registry, req: AllocateRequest): AllocateResult {
  return registry.write(() => {
    const db = connection(registry);
    if (req.checkout !== undefined) recordCheckout(db, req.project_path, req.branch, req.checkout, req.now);
    const existing = rowOf(db, req.project_path, req.branch);
    if (existing) {
      db.prepare("UPDATE allocations SET last_seen_at = ? WHERE id = ?").run(req.now, Number(existing.id));
      const allocation = toAllocation(existing, registry.path);
      return { allocation: { ...allocation, last_seen_at: req.now }, created: false };
    }
    const rows = db.prepare(`SELECT ${COLUMNS} FROM allocations`).all()
      .map((row) => toAllocation(row, registry.path));
    let ip = lowestFreeIp(req.pool, rows.map((r) => r.ip));
    let reclaimed: Allocation | undefined;
    if (ip === undefined) {
      const inPool = rows.filter((r) => {
        const n = ipToInt(r.ip);
        return n !== undefined && n >= req.pool.first && n <= req.pool.last;
      });
      // Only rows old enough to reclaim need a liveness check (a `ps` each on macOS, under the lock).
      const holders = inPool.map((r) => ({
        ...r,
        alive: r.pid !== null && req.now - r.last_seen_at >= req.reclaimAfterMs &&
          req.isAlive(r.pid, r.pid_started_at),
      }));
      reclaimed = chooseReclaim(holders, req.now, req.reclaimAfterMs);
      if (!reclaimed) throw exhausted(req, inPool);
      db.prepare("DELETE FROM allocations WHERE id = ?").run(reclaimed.id);
      ip = reclaimed.ip;
    }
    const taken = new Set(rows.filter((r) => r.id !== reclaimed?.id).map((r) => r.hostname));
    for (const label of req.reserved?.() ?? []) taken.add(label);
    const hostname = chooseHostname(req.branch, req.project_path, taken, req.name);
    const db_name = databaseName(req.app, req.branch);
    const result = db.prepare(
      `INSERT INTO allocations (project_path, branch, ip, hostname, db_name, port, pid, pid_started_at,
         allocated_at, last_seen_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)`,
    ).run(req.project_path, req.branch, ip, hostname, db_name, req.now, req.now);
    const allocation: Allocation = {
      id: Number(result.lastInsertRowid),
      project_path: req.project_path,
      branch: req.branch,
      ip,
      hostname,
      db_name,
      port: null,
      pid: null,
      pid_started_at: null,
      allocated_at: req.now,
      last_seen_at: req.now,
    };
    return { allocation, created: true, reclaimed };
  });
}

function exhausted(req: AllocateRequest, holders: Allocation[]): PoolExhaustedError {
  const oldest = [...holders].sort((a, b) => a.last_seen_at - b.last_seen_at).slice(0, 5);
  const list = oldest.map((h) => `${h.branch} (${h.ip}, seen ${formatAge(req.now - h.last_seen_at)} ago)`)
    .join(", ");
  const more = holders.length > oldest.length ? ` and ${holders.length - oldest.length} more` : "";
  return new PoolExhaustedError(
    `IP pool ${formatPool(req.pool)} is exhausted: all ${
      poolSize(req.pool)
    } addresses are held, oldest: ${list}${more}`,
    {
      hint:
        `Free one with \`treehouse release BRANCH --project PATH\` or \`treehouse cleanup\`, or widen the pool ` +
        `(TREEHOUSE_POOL=${intToIp(req.pool.first)}-${intToIp(Math.min(req.pool.last + 100, 0x7ffffffe))})`,
    },
  );
}

/** The allocation of (project, branch), or `undefined`. Does not refresh it. */
export function findAllocation(
  registry: Registry,
  project_path: string,
  branch: string,
): Allocation | undefined {
  return registry.read(() => {
    const row = rowOf(connection(registry), project_path, branch);
    return row ? toAllocation(row, registry.path) : undefined;
  });
}

/** Every allocation, optionally of one project, ordered by IP. */
export function listAllocations(registry: Registry, project_path?: string): Allocation[] {
  return registry.read(() => {
    const rows = project_path === undefined
      ? connection(registry).prepare(`SELECT ${COLUMNS} FROM allocations`).all()
      : connection(registry).prepare(`SELECT ${COLUMNS} FROM allocations WHERE project_path = ?`).all(
        project_path,
      );
    return rows.map((r) => toAllocation(r, registry.path))
      .sort((a, b) => (ipToInt(a.ip) ?? 0) - (ipToInt(b.ip) ?? 0));
  });
}

/** Removes the allocation of (project, branch); returns it, or `undefined` when there was none. */
export function releaseAllocation(
  registry: Registry,
  project_path: string,
  branch: string,
): Allocation | undefined {
  return registry.write(() => {
    const row = rowOf(connection(registry), project_path, branch);
    if (!row) return undefined;
    connection(registry).prepare("DELETE FROM allocations WHERE project_path = ? AND branch = ?").run(
      project_path,
      branch,
    );
    return lenientAllocation(row, registry.path);
  });
}

/** The row as an allocation; fields that fail validation read as empty ("?", null, 0): a broken row can go. */
function lenientAllocation(row: Record<string, unknown>, path: string): Allocation {
  try {
    return toAllocation(row, path);
  } catch (error) {
    if (!(error instanceof InvalidAllocationRowError)) throw error;
  }
  const int = (v: unknown) => (typeof v === "number" || typeof v === "bigint" ? Number(v) : null);
  const str = (v: unknown) => (typeof v === "string" ? v : "?");
  return {
    id: int(row.id) ?? 0,
    project_path: str(row.project_path),
    branch: str(row.branch),
    ip: str(row.ip),
    hostname: str(row.hostname),
    db_name: str(row.db_name),
    port: int(row.port),
    pid: int(row.pid),
    pid_started_at: int(row.pid_started_at),
    allocated_at: int(row.allocated_at) ?? 0,
    last_seen_at: int(row.last_seen_at) ?? 0,
  };
}

/** Records the running process and port of an allocation (`treehouse run`). */
export function recordProcess(
  registry: Registry,
  id: number,
  process: { pid: number | null; pid_started_at: number | null; port?: number | null; now: number },
): void {
  registry.write(() => {
    if (process.port === undefined) {
      connection(registry).prepare(
        "UPDATE allocations SET pid = ?, pid_started_at = ?, last_seen_at = ? WHERE id = ?",
      )
        .run(process.pid, process.pid_started_at, process.now, id);
    } else {
      connection(registry).prepare(
        "UPDATE allocations SET pid = ?, pid_started_at = ?, port = ?, last_seen_at = ? WHERE id = ?",
      ).run(process.pid, process.pid_started_at, process.port, process.now, id);
    }
  });
}

/**
 * Deletes the allocation only if its process and heartbeat are still what the caller saw (cleanup
 * deciding from a read); run inside `registry.write`. False when it changed or is gone.
 */
export function deleteAllocationIfUnchanged(registry: Registry, a: Allocation): boolean {
  return Number(
    connection(registry).prepare("DELETE FROM allocations WHERE id = ? AND last_seen_at = ? AND pid IS ?")
      .run(a.id, a.last_seen_at, a.pid).changes,
  ) > 0;
}
