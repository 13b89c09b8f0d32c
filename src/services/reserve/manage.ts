/** Port exclusions and moving reservations after a directory moved (`exclude`, `compact-exclusions`, `migrate`). */
import { ConflictError, NotFoundError, UsageError } from "../../errors.ts";
import { isInside } from "../../adapters/paths.ts";
import { compactSpans, type PortSpan } from "../../core/spans.ts";
import {
  addExclusion,
  deleteReservation,
  findReservation,
  insertReservation,
  listExclusions,
  listReservations,
  replaceExclusions,
  type Reservation,
} from "../../registry/reservations.ts";
import type { Registry } from "../../registry/registry.ts";
import { holderName } from "./reserve.ts";

/** Excludes `span` from being handed out; returns the reservations that stay inside it. */
export function excludePorts(registry: Registry, span: PortSpan, now: number): Reservation[] {
  return registry.write(() => {
    addExclusion(registry, span, now);
    return listReservations(registry).filter((r) => r.port >= span.first && r.port <= span.last);
  });
}

/** Merges overlapping and adjacent excluded ranges (not in a dry run); returns them before and after. */
export function compactExclusions(
  registry: Registry,
  dryRun: boolean,
  now: number,
): [before: PortSpan[], after: PortSpan[]] {
  return registry.write(() => {
    const spans = listExclusions(registry);
    const merged = compactSpans(spans);
    if (!dryRun) replaceExclusions(registry, merged, now);
    return [spans, merged];
  });
}

/** What `migrate` moves. */
export interface MigrateRequest {
  readonly from: string;
  readonly to: string;
  readonly recursive?: boolean;
  readonly force?: boolean;
  readonly dryRun?: boolean;
}

/** One reservation moved (or to move) to `path`. */
export interface Move {
  old: Reservation;
  path: string;
}

/** Refuses a move onto itself or (recursive) into itself; checked before the registry is opened. */
export function checkMigrate(req: MigrateRequest): void {
  const { from, to } = req;
  if (from === to) {
    throw new UsageError("--from and --to are the same path", { hint: "Name the old and the new directory" });
  }
  if (req.recursive && isInside(to, from)) {
    throw new UsageError(`${to} lies inside ${from}`, {
      hint: "Move reservations to a directory outside the old one",
    });
  }
}

/** Moves the reservations of `from` (and below it, recursive) to `to` (nothing in a dry run). */
export function migrateReservations(registry: Registry, req: MigrateRequest): Move[] {
  checkMigrate(req);
  const { from, to } = req;
  return registry.write(() => {
    const rows = listReservations(registry, { path: from, recursive: req.recursive ?? false });
    if (rows.length === 0) {
      throw new NotFoundError(`No reservations under ${from}`, {
        hint: "See `treehouse port list --json` for the stored paths",
      });
    }
    const plan = rows.map((r) => ({ old: r, path: to + r.path.slice(from.length) }));
    for (const p of plan) {
      const clash = findReservation(registry, p.path, p.old.tag);
      if (clash && !req.force) {
        throw new ConflictError(`${holderName(clash)} already has port ${clash.port}`, {
          hint: "Release it first, or pass --force to replace it with the moved reservation",
        });
      }
    }
    if (req.dryRun) return plan;
    for (const p of plan) deleteReservation(registry, p.old.path, p.old.tag);
    for (const p of plan) {
      deleteReservation(registry, p.path, p.old.tag);
      insertReservation(registry, { ...p.old, path: p.path });
    }
    return plan;
  });
}
