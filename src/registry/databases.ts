/**
 * The record of databases treehouse created (or adopted) on database servers: one row per (server,
 * name). A database without a row is never dropped or overwritten. A create first writes a row in
 * state `creating` and marks it `ready` when the database is complete, so a create interrupted by
 * `kill -9` is recognised (and made again) by the next one, and never taken for a finished copy.
 */
import { RegistryError } from "../errors.ts";
import type { Registry } from "./registry.ts";
import { connection } from "./connection.ts";

/** How a database came to be. */
export type DatabaseMethod = "template" | "dump" | "empty" | "adopted";

/** One row of the `databases` table; the field names are the public JSON names. */
export interface DatabaseRecord {
  id: number;
  /** The server's address (`host:port`), never its credentials. */
  server: string;
  name: string;
  project_path: string;
  branch: string;
  /** The database it was copied from (null: empty or adopted). */
  source: string | null;
  method: DatabaseMethod;
  state: "creating" | "ready";
  /** The creating process while `creating`. */
  pid: number | null;
  created_at: number;
}

const COLUMNS = "id, server, name, project_path, branch, source, method, state, pid, created_at";
const METHODS: ReadonlySet<string> = new Set(["template", "dump", "empty", "adopted"]);

function toRecord(row: unknown, path: string): DatabaseRecord {
  const r = row as Record<string, unknown>;
  const int = (v: unknown) => typeof v === "number" || typeof v === "bigint";
  if (
    !r || !int(r.id) || typeof r.server !== "string" || typeof r.name !== "string" ||
    typeof r.project_path !== "string" || typeof r.branch !== "string" ||
    !(r.source === null || typeof r.source === "string") || !METHODS.has(String(r.method)) ||
    (r.state !== "creating" && r.state !== "ready") || !(r.pid === null || int(r.pid)) || !int(r.created_at)
  ) {
    throw new RegistryError(`Registry ${path} holds an invalid database row`, {
      hint: "Move the registry away, or remove the row with sqlite3",
    });
  }
  return {
    id: Number(r.id),
    server: r.server,
    name: r.name,
    project_path: r.project_path,
    branch: r.branch,
    source: r.source as string | null,
    method: r.method as DatabaseMethod,
    state: r.state,
    pid: r.pid === null ? null : Number(r.pid),
    created_at: Number(r.created_at),
  };
}

/** The row of `name` on `server`, checked; undefined when there is none. Inside a transaction. */
function recordOf(registry: Registry, server: string, name: string): DatabaseRecord | undefined {
  const row = connection(registry).prepare(`SELECT ${COLUMNS} FROM databases WHERE server = ? AND name = ?`)
    .get(server, name);
  return row ? toRecord(row, registry.path) : undefined;
}

/** The record of `name` on `server`, or undefined. */
export function findDatabase(registry: Registry, server: string, name: string): DatabaseRecord | undefined {
  return registry.read(() => recordOf(registry, server, name));
}

/** Whether `name` on `server` is recorded as complete: the hot path's check, no server contacted. */
export function isDatabaseReady(registry: Registry, server: string, name: string): boolean {
  return registry.read(() =>
    connection(registry).prepare("SELECT 1 FROM databases WHERE server = ? AND name = ? AND state = 'ready'")
      .get(server, name) !== undefined
  );
}

/** Every record, optionally of one project and/or one server, ordered by project, branch and name. */
export function listDatabases(
  registry: Registry,
  filter: { project_path?: string; server?: string; branch?: string } = {},
): DatabaseRecord[] {
  return registry.read(() => {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.project_path !== undefined) where.push("project_path = ?"), args.push(filter.project_path);
    if (filter.branch !== undefined) where.push("branch = ?"), args.push(filter.branch);
    if (filter.server !== undefined) where.push("server = ?"), args.push(filter.server);
    const sql = `SELECT ${COLUMNS} FROM databases${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
      ORDER BY project_path, branch, name`;
    return connection(registry).prepare(sql).all(...args).map((r) => toRecord(r, registry.path));
  });
}

/** What {@link beginCreate} found. */
export type BeginCreate =
  | { kind: "new"; record: DatabaseRecord }
  /** A previous create did not finish: the database (if any) is a partial copy of ours. */
  | { kind: "unfinished"; record: DatabaseRecord }
  | { kind: "ready"; record: DatabaseRecord };

/** The facts of a create being started. */
export interface CreateIntent
  extends Pick<DatabaseRecord, "server" | "name" | "project_path" | "branch" | "source" | "method"> {
  pid: number;
  now: number;
}

/**
 * Records that a create starts (state `creating`), in one transaction. A `ready` row is returned
 * untouched; an unfinished one takes the new creator's facts.
 */
export function beginCreate(registry: Registry, intent: CreateIntent): BeginCreate {
  return registry.write(() => {
    const db = connection(registry);
    // What the creator sets, in the order both statements below name the columns.
    const facts = [intent.project_path, intent.branch, intent.source, intent.method, intent.pid, intent.now];
    const record = recordOf(registry, intent.server, intent.name);
    if (record) {
      if (record.state === "ready") return { kind: "ready", record };
      db.prepare(
        `UPDATE databases SET project_path = ?, branch = ?, source = ?, method = ?, pid = ?, created_at = ?
          WHERE id = ?`,
      ).run(...facts, record.id);
      return {
        kind: "unfinished",
        record: { ...record, ...pick(intent), pid: intent.pid, created_at: intent.now },
      };
    }
    const result = db.prepare(
      `INSERT INTO databases (server, name, project_path, branch, source, method, state, pid, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'creating', ?, ?)`,
    ).run(intent.server, intent.name, ...facts);
    return {
      kind: "new",
      record: {
        id: Number(result.lastInsertRowid),
        server: intent.server,
        name: intent.name,
        ...pick(intent),
        state: "creating",
        pid: intent.pid,
        created_at: intent.now,
      },
    };
  });
}

function pick(intent: CreateIntent) {
  return {
    project_path: intent.project_path,
    branch: intent.branch,
    source: intent.source,
    method: intent.method,
  };
}

/** Marks a create finished, with the method that was used in the end. */
export function finishCreate(registry: Registry, id: number, method: DatabaseMethod, now: number): void {
  registry.write(() => {
    connection(registry).prepare(
      "UPDATE databases SET state = 'ready', method = ?, pid = NULL, created_at = ? WHERE id = ?",
    ).run(method, now, id);
  });
}

/** Records an existing database as a branch's without touching it (`db create --adopt`). */
export function adoptDatabase(
  registry: Registry,
  facts: { server: string; name: string; project_path: string; branch: string; now: number },
): DatabaseRecord {
  return registry.write(() => {
    connection(registry).prepare(
      `INSERT INTO databases (server, name, project_path, branch, source, method, state, pid, created_at)
       VALUES (?, ?, ?, ?, NULL, 'adopted', 'ready', NULL, ?)
       ON CONFLICT (server, name) DO UPDATE SET project_path = excluded.project_path,
         branch = excluded.branch, state = 'ready', pid = NULL`,
    ).run(facts.server, facts.name, facts.project_path, facts.branch, facts.now);
    return recordOf(registry, facts.server, facts.name)!; // just written
  });
}

/** Removes a record (after its database was dropped). */
export function forgetDatabase(registry: Registry, id: number): void {
  registry.write(() => {
    connection(registry).prepare("DELETE FROM databases WHERE id = ?").run(id);
  });
}
