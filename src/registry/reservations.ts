/**
 * The `reservations` and `port_exclusions` tables: reading, validating and writing rows. Callers
 * run these inside `registry.write` / `registry.read`; the rules (which port) live elsewhere.
 */
import { RegistryError } from "../errors.ts";
import type { StatementSync } from "node:sqlite";
import type { Registry } from "./registry.ts";
import type { PortSpan } from "../core/spans.ts";
import { connection } from "./connection.ts";

/** One port reservation; the field names are the public JSON names. `tag` null = untagged. */
export interface Reservation {
  path: string;
  tag: string | null;
  port: number;
  project: string | null;
  task: string | null;
  created_at: number;
  last_used_at: number;
  expires_at: number | null;
}

/** Columns in the order {@link toReservation} expects. */
export const COLUMNS = "path, tag, port, project, task, created_at, last_used_at, expires_at";

/** A prepared statement: the registry's connection keeps one per SQL text (see `Registry`). */
function stmt(registry: Registry, sql: string): StatementSync {
  return connection(registry).prepare(sql);
}

/** Validates a row read back from disk, so a hand-edited registry fails clearly. */
export function toReservation(row: unknown, file: string): Reservation {
  const r = row as Record<string, unknown>;
  const int = (v: unknown) => typeof v === "number" || typeof v === "bigint";
  const str = (v: unknown) => v === null || typeof v === "string";
  if (
    !r || typeof r.path !== "string" || typeof r.tag !== "string" || !int(r.port) || !str(r.project) ||
    !str(r.task) || !int(r.created_at) || !int(r.last_used_at) ||
    !(r.expires_at === null || int(r.expires_at))
  ) {
    throw new RegistryError(`Registry ${file} holds an invalid reservation row`, {
      hint: "Release it with `treehouse port release --path PATH` or move the registry away",
    });
  }
  return {
    path: r.path,
    tag: r.tag === "" ? null : r.tag,
    port: Number(r.port),
    project: r.project as string | null,
    task: r.task as string | null,
    created_at: Number(r.created_at),
    last_used_at: Number(r.last_used_at),
    expires_at: r.expires_at === null ? null : Number(r.expires_at),
  };
}

/** The reservation of (path, tag), or undefined. */
export function findReservation(
  registry: Registry,
  path: string,
  tag: string | null,
): Reservation | undefined {
  const row = stmt(registry, `SELECT ${COLUMNS} FROM reservations WHERE path = ? AND tag = ?`).get(
    path,
    tag ?? "",
  );
  return row ? toReservation(row, registry.path) : undefined;
}

/** The reservation holding `port`, or undefined. */
export function findByPort(registry: Registry, port: number): Reservation | undefined {
  const row = stmt(registry, `SELECT ${COLUMNS} FROM reservations WHERE port = ?`).get(port);
  return row ? toReservation(row, registry.path) : undefined;
}

/** Filters for {@link listReservations}. */
export interface ListFilter {
  /** This path and (with `recursive`) everything under it. */
  path?: string;
  recursive?: boolean;
  project?: string;
}

/** Reservations matching `filter`, ordered by port. Index-backed: cost follows the result size. */
export function listReservations(registry: Registry, filter: ListFilter = {}): Reservation[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.path !== undefined) {
    if (filter.recursive) {
      // `path/` … `path0` ('0' follows '/') is every descendant, and the index can serve it.
      const base = filter.path === "/" ? "" : filter.path;
      where.push("(path = ? OR (path >= ? AND path < ?))");
      args.push(filter.path, `${base}/`, `${base}0`);
    } else {
      where.push("path = ?");
      args.push(filter.path);
    }
  }
  if (filter.project !== undefined) {
    where.push("project = ?");
    args.push(filter.project);
  }
  const sql = `SELECT ${COLUMNS} FROM reservations${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
    ORDER BY port`;
  return connection(registry).prepare(sql).all(...args).map((r) => toReservation(r, registry.path));
}

/** Inserts a reservation (the port must be free in the table). */
export function insertReservation(registry: Registry, r: Reservation): void {
  connection(registry).prepare(
    `INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(r.path, r.tag ?? "", r.port, r.project, r.task, r.created_at, r.last_used_at, r.expires_at);
}

/** Updates the mutable fields of the reservation of (path, tag). */
export function updateReservation(registry: Registry, r: Reservation): void {
  connection(registry).prepare(
    `UPDATE reservations SET port = ?, project = ?, task = ?, last_used_at = ?, expires_at = ?
     WHERE path = ? AND tag = ?`,
  ).run(r.port, r.project, r.task, r.last_used_at, r.expires_at, r.path, r.tag ?? "");
}

/** Deletes the reservation of (path, tag); returns whether one existed. */
export function deleteReservation(registry: Registry, path: string, tag: string | null): boolean {
  return Number(
    connection(registry).prepare("DELETE FROM reservations WHERE path = ? AND tag = ?").run(path, tag ?? "")
      .changes,
  ) > 0;
}

/** Whether a port is held by any reservation. */
export function isReserved(registry: Registry, port: number): boolean {
  return stmt(registry, "SELECT 1 AS x FROM reservations WHERE port = ?").get(port) !== undefined;
}

/** The first port in `[from, last]` no reservation holds, or undefined: one walk along the port index. */
export function nextUnreserved(registry: Registry, from: number, last: number): number | undefined {
  if (from > last) return undefined;
  if (!isReserved(registry, from)) return from;
  const row = stmt(
    registry,
    `SELECT r.port + 1 AS p FROM reservations r WHERE r.port >= ? AND r.port < ?
       AND NOT EXISTS (SELECT 1 FROM reservations s WHERE s.port = r.port + 1) ORDER BY r.port LIMIT 1`,
  ).get(from, last);
  return row ? Number(row.p) : undefined;
}

/** Every stored exclusion, ordered. */
export function listExclusions(registry: Registry): PortSpan[] {
  return connection(registry).prepare("SELECT first, last FROM port_exclusions ORDER BY first, last").all()
    .map((r) => ({ first: Number(r.first), last: Number(r.last) }));
}

/** Replaces the stored exclusions with `spans`. */
export function replaceExclusions(registry: Registry, spans: PortSpan[], now: number): void {
  connection(registry).exec("DELETE FROM port_exclusions");
  const insert = connection(registry).prepare(
    "INSERT OR IGNORE INTO port_exclusions (first, last, created_at) VALUES (?, ?, ?)",
  );
  for (const s of spans) insert.run(s.first, s.last, now);
}

/** Adds one exclusion (duplicates are ignored). */
export function addExclusion(registry: Registry, span: PortSpan, now: number): void {
  connection(registry).prepare(
    "INSERT OR IGNORE INTO port_exclusions (first, last, created_at) VALUES (?, ?, ?)",
  )
    .run(span.first, span.last, now);
}

/** Every reservation, ordered by port (maintenance reads them all once). */
export function allReservations(registry: Registry): Reservation[] {
  return stmt(registry, `SELECT ${COLUMNS} FROM reservations ORDER BY port`).all()
    .map((r) => toReservation(r, registry.path));
}

/**
 * Deletes each reservation only if it is still as it was read (same `last_used_at`): a row another
 * process refreshed meanwhile is kept. Run inside `registry.write`. Returns the ones deleted.
 */
export function deleteUnchanged<T extends Reservation>(registry: Registry, rows: readonly T[]): T[] {
  const del = stmt(
    registry,
    "DELETE FROM reservations WHERE path = ? AND tag = ? AND port = ? AND last_used_at = ?",
  );
  return rows.filter((r) => Number(del.run(r.path, r.tag ?? "", r.port, r.last_used_at).changes) > 0);
}

/** How many reservations hold a port in `first`..`last`. */
export function countInRange(registry: Registry, first: number, last: number): number {
  return Number(
    (stmt(registry, "SELECT COUNT(*) AS n FROM reservations WHERE port BETWEEN ? AND ?").get(first, last) as {
      n: number;
    }).n,
  );
}

/** Every project with reservations and how many it has, by project name. */
export function projectCounts(registry: Registry): { project: string; reservations: number }[] {
  return stmt(
    registry,
    "SELECT project, COUNT(*) AS n FROM reservations WHERE project IS NOT NULL GROUP BY project ORDER BY project",
  ).all().map((r) => ({ project: String(r.project), reservations: Number(r.n) }));
}
