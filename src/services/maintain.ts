/**
 * Clean-up of port reservations: `prune` (the directory is gone), `expire` (not used for a while, or
 * its `--ttl` ran out) and `autoclean` (both). The decision is a pure function over rows; the
 * adapter reads the rows, checks the paths, and deletes in one transaction only rows unchanged since.
 */
import { formatAge } from "../core/duration.ts";
import type { Registry } from "../registry/registry.ts";
import { isInside } from "../adapters/paths.ts";
import { allReservations, deleteUnchanged, type Reservation } from "../registry/reservations.ts";

/** One removed (or, with `dryRun`, removable) reservation and why. */
export interface Removal {
  path: string;
  tag: string | null;
  port: number;
  reason: string;
}

/** What to remove. */
export interface CleanRules {
  /** Remove reservations whose path no longer exists. */
  prune: boolean;
  /** Remove reservations not used for this long. */
  olderThanMs?: number;
  /** Remove reservations whose `--ttl` has run out. Default true. */
  expired?: boolean;
  /** Only reservations at or below this directory (e.g. `cleanup` without `--all-projects`). */
  under?: string;
  now: number;
}

/** Why a reservation should go, or undefined to keep it. Pure: `exists` answers for paths. */
export function removalReason(
  r: Reservation,
  rules: CleanRules,
  exists: (path: string) => boolean,
): string | undefined {
  if (rules.under !== undefined && r.path !== rules.under && !isInside(r.path, rules.under)) return undefined;
  if (rules.prune && !exists(r.path)) return `${r.path} no longer exists`;
  if ((rules.expired ?? true) && r.expires_at !== null && r.expires_at <= rules.now) {
    return `its time to live ran out ${formatAge(rules.now - r.expires_at)} ago`;
  }
  if (rules.olderThanMs !== undefined && rules.now - r.last_used_at >= rules.olderThanMs) {
    return `not used for ${formatAge(rules.now - r.last_used_at)}`;
  }
  return undefined;
}

/** True when `path` exists (a dangling symlink or an unreadable parent counts as existing: be safe). */
export function pathExists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory);
  }
}

/**
 * Removes (unless `dryRun`) reservations matching `rules`; returns them with a human reason. Rows
 * refreshed by another process between the check and the delete are kept.
 */
export function cleanReservations(
  registry: Registry,
  rules: CleanRules & { dryRun: boolean },
  exists: (path: string) => boolean = pathExists,
): Removal[] {
  const rows = registry.read(() => allReservations(registry));
  const doomed: Removal[] = [];
  const checked = new Map<string, boolean>();
  const cachedExists = (p: string) => {
    let e = checked.get(p);
    if (e === undefined) checked.set(p, e = exists(p));
    return e;
  };
  const byKey = new Map<Reservation, Removal>();
  for (const r of rows) {
    const reason = removalReason(r, rules, cachedExists);
    if (reason !== undefined) {
      const removal = { path: r.path, tag: r.tag, port: r.port, reason };
      doomed.push(removal);
      byKey.set(r, removal);
    }
  }
  if (rules.dryRun || doomed.length === 0) return doomed;
  return registry.write(() =>
    deleteUnchanged(registry, [...byKey.keys()]).map((r) => byKey.get(r) as Removal)
  );
}

/**
 * Removes (unless `dryRun`) reservations whose path no longer exists, those whose `--ttl` ran out,
 * and, with `olderThanMs`, those not used for that long; with `under`, only those at or below that
 * directory. Returns what it removed or would remove.
 * The interface `treehouse cleanup` uses.
 */
export function pruneReservations(
  registry: Registry,
  opts: { dryRun: boolean; now: number; olderThanMs?: number; under?: string },
): { path: string; tag: string | null; port: number; reason: string }[] {
  return cleanReservations(registry, {
    prune: true,
    expired: true,
    olderThanMs: opts.olderThanMs,
    under: opts.under,
    now: opts.now,
    dryRun: opts.dryRun,
  });
}
