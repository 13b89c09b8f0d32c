/**
 * Creating a branch's database: empty, or a copy of a base. The fast copy is `CREATE DATABASE …
 * TEMPLATE`; when another session holds the base (the main branch's server), it is left alone and
 * the copy goes through `pg_dump | pg_restore`, unless `terminate` ends those sessions first.
 *
 * Safety: the work happens under a server-side lock on the new database's name, and the copy under
 * one on the base's, so concurrent creates of one database wait for each other and five clones of
 * one base all succeed. A database that exists without a registry record is never touched. The
 * registry row is written (`creating`) before the database and marked `ready` after it, so a create
 * killed half-way is recognised and made again by the next one.
 */
import { shellQuote } from "../../core/quote.ts";

import type { DatabaseEngine, EngineSession } from "../../adapters/postgres/engine.ts";
import { EngineError } from "../../adapters/postgres/engine.ts";
import { ConflictError, NotFoundError, TreehouseError } from "../../errors.ts";
import {
  adoptDatabase,
  beginCreate,
  type DatabaseMethod,
  type DatabaseRecord,
  findDatabase,
  finishCreate,
  forgetDatabase,
} from "../../registry/databases.ts";
import type { Registry } from "../../registry/registry.ts";
import { onServer, serverFailure } from "./failures.ts";
import type { ResolvedServer } from "./server.ts";

/** A word as typed in a shell: quoted only when it needs to be. */
const shellWord = (w: string) => /^[\w@%+=:,./-]+$/.test(w) ? w : shellQuote(w);

/** Something worth telling the user while a create runs (the CLI renders it). */
export type DbEvent =
  /** Another treehouse process is creating this database or copying this base: waiting for it. */
  | { kind: "waiting"; name: string }
  /** The base has other sessions: copying through dump and restore instead. */
  | { kind: "busy"; base: string; sessions: number }
  /** `terminate`: ending the base's other sessions (their clients will reconnect). */
  | { kind: "terminating"; base: string; sessions: number }
  /** `terminate` of a drop (or reset): ending the dropped database's other sessions. */
  | { kind: "ending-sessions"; name: string; sessions: number }
  /** Bytes of dump passed so far. */
  | { kind: "progress"; bytes: number }
  /** A create that did not finish left this database: making it again. */
  | { kind: "unfinished"; name: string };

/** The collaborators of the db service. */
export interface DbDeps {
  registry: Registry;
  engine: DatabaseEngine;
  resolved: ResolvedServer;
  now: () => number;
  pid: number;
  onEvent?: (event: DbEvent) => void;
}

/** What to create. */
export interface CreateRequest {
  project_path: string;
  branch: string;
  /** The branch's database name (from its allocation). */
  name: string;
  /** The database to copy; undefined: an empty database. */
  base?: string;
  /** The branch whose database `base` is, when a branch chose it (for the hint when it is missing). */
  baseBranch?: string;
  /** End the base's other sessions for the fast copy. */
  terminate?: boolean;
  /** Record an existing database as the branch's without touching it. */
  adopt?: boolean;
}

/** What a create did. */
export interface CreateResult {
  status: "created" | "exists" | "adopted";
  record: DatabaseRecord;
}

/** Opens a session on the server, mapping failures to errors that name it. */
export function openSession(deps: DbDeps): Promise<EngineSession> {
  return onServer(deps.resolved, "connect", () => deps.engine.connect(deps.resolved.server));
}

/** Runs `fn` on a session of its own, closed after it. */
export async function withSession<T>(
  deps: DbDeps,
  fn: (session: EngineSession) => Promise<T>,
): Promise<T> {
  const session = await openSession(deps);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/**
 * Runs `fn` holding the server-side lock `key`; while another process holds it, a `waiting` event
 * names `waitingFor`.
 */
export async function holdingLock<T>(
  session: EngineSession,
  deps: DbDeps,
  key: string,
  waitingFor: string,
  fn: () => Promise<T>,
): Promise<T> {
  const unlock = await onServer(
    deps.resolved,
    "lock",
    () => session.lock(key, () => deps.onEvent?.({ kind: "waiting", name: waitingFor })),
  );
  try {
    return await fn();
  } finally {
    await unlock();
  }
}

/** Runs `fn` holding the lock on database `name` (its creates, drops and resets wait for each other). */
export function holdingDatabase<T>(
  session: EngineSession,
  deps: DbDeps,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  return holdingLock(session, deps, `db:${name}`, name, fn);
}

/** Creates (or adopts) the branch's database. See the module comment for the guarantees. */
export function createDatabase(deps: DbDeps, req: CreateRequest): Promise<CreateResult> {
  return withSession(deps, (session) => createWith(session, deps, req));
}

/** {@link createDatabase} on an open session (reset drops and creates on one). */
export function createWith(
  session: EngineSession,
  deps: DbDeps,
  req: CreateRequest,
): Promise<CreateResult> {
  const { resolved, registry } = deps;
  const on = <T>(action: string, fn: () => Promise<T>) => onServer(resolved, action, fn);
  return holdingDatabase(session, deps, req.name, async () => {
    let record = findDatabase(registry, resolved.key, req.name);
    if (record && (record.project_path !== req.project_path || record.branch !== req.branch)) {
      throw new ConflictError(
        `Database "${req.name}" on ${resolved.label} belongs to branch "${record.branch}" of ${record.project_path}`,
        {
          hint: "Give this project another --app name (or TREEHOUSE_APP) so its database names differ",
        },
      );
    }
    // The branch's database and the base in one query (the base's answer is used only further down).
    const found = await on(
      "look up the database",
      () => session.existing(req.base === undefined ? [req.name] : [req.name, req.base]),
    );
    const exists = found.has(req.name);
    if (record?.state === "ready") {
      if (exists) return { status: "exists", record };
      forgetDatabase(registry, record.id); // dropped outside treehouse: ours to make again
      record = undefined;
    }
    if (req.adopt) {
      if (record?.state === "creating") {
        throw new ConflictError(`Database "${req.name}" is an unfinished copy treehouse started`, {
          hint: "Run `treehouse db create` without --adopt to make it again",
        });
      }
      if (!exists) {
        throw new NotFoundError(`No database "${req.name}" on ${resolved.label} to adopt`, {
          hint: "Create it with `treehouse db create` (without --adopt)",
        });
      }
      const adopted = adoptDatabase(registry, { ...req, server: resolved.key, now: deps.now() });
      return { status: "adopted", record: adopted };
    }
    if (exists && record === undefined) {
      throw new ConflictError(
        `Database "${req.name}" already exists on ${resolved.label} and was not created by treehouse`,
        {
          hint:
            "treehouse never drops or overwrites it: `treehouse db create --adopt` makes it the branch's " +
            "as it is, or drop it yourself (dropdb)",
        },
      );
    }
    if (req.base !== undefined) {
      const base = req.base;
      if (base === req.name) {
        throw new ConflictError(`Cannot copy database "${base}" onto itself`, {
          hint: "Name another base with --from BRANCH or --from-database NAME, or use --empty",
        });
      }
      if (!found.has(base)) {
        const first = req.baseBranch !== undefined
          ? `Create ${req.baseBranch}'s database first (treehouse db create ${
            shellWord(req.baseBranch)
          } --empty)`
          : "Check the name (psql -l lists the server's databases)";
        throw new NotFoundError(`Base database "${base}" does not exist on ${resolved.label}`, {
          hint: `${first}, name another base (--from BRANCH, --from-database NAME, [database] template), ` +
            "or start this one empty (db create --empty, run --db empty)",
        });
      }
    }
    const begun = beginCreate(registry, {
      server: resolved.key,
      name: req.name,
      project_path: req.project_path,
      branch: req.branch,
      source: req.base ?? null,
      method: req.base === undefined ? "empty" : "template",
      pid: deps.pid,
      now: deps.now(),
    });
    if (begun.kind === "ready") return { status: "exists", record: begun.record };
    try {
      if (begun.kind === "unfinished" && exists) {
        deps.onEvent?.({ kind: "unfinished", name: req.name });
        await on("drop the unfinished copy", () => session.drop(req.name, { force: true }));
      }
      const method = req.base === undefined
        ? await on("create the database", async () => {
          await session.createEmpty(req.name);
          return "empty" as const;
        })
        : await copy(session, deps, req.name, req.base, req.terminate ?? false);
      const now = deps.now();
      finishCreate(registry, begun.record.id, method, now);
      return {
        status: "created",
        record: { ...begun.record, method, state: "ready", pid: null, created_at: now },
      };
    } catch (error) {
      // Someone else created a database of that name since it was looked up: it is not ours to drop.
      const foreign = hasKind(error, "exists");
      // A failed create leaves nothing: no partial database (dropped first: a kill in between leaves
      // an unfinished record the next create resolves), then no record.
      if (!foreign) await session.drop(req.name, { force: true }).catch(() => {});
      try {
        forgetDatabase(registry, begun.record.id);
      } catch { /* the failure below matters more */ }
      if (foreign) {
        throw new ConflictError(
          `Database "${req.name}" was created on ${resolved.label} by someone else meanwhile`,
          { hint: "treehouse leaves it alone: `treehouse db create --adopt` makes it the branch's as it is" },
        );
      }
      throw error;
    }
  });
}

/** Whether `error` or one of its causes is an engine failure of `kind`. */
function hasKind(error: unknown, kind: string): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof EngineError && e.kind === kind) return true;
  }
  return false;
}

/** How many times `terminate` ends the base's sessions and retries before falling back. */
export const TERMINATE_ATTEMPTS = 3;

function copy(
  session: EngineSession,
  deps: DbDeps,
  name: string,
  base: string,
  terminate: boolean,
): Promise<DatabaseMethod> {
  const on = <T>(action: string, fn: () => Promise<T>) => onServer(deps.resolved, action, fn);
  return holdingLock(session, deps, `template:${base}`, base, async () => {
    let sessions = await on("count the base's sessions", () => session.otherSessions(base));
    if (sessions > 0 && terminate) {
      deps.onEvent?.({ kind: "terminating", base, sessions });
      for (let attempt = 0; attempt < TERMINATE_ATTEMPTS && sessions > 0; attempt++) {
        await on("end the base's sessions", () => session.terminateSessions(base));
        if (await tryTemplate(session, deps, name, base)) return "template";
        sessions = await on("count the base's sessions", () => session.otherSessions(base));
      }
    } else if (sessions === 0) {
      // Someone may connect between the count and the copy: then PostgreSQL refuses, and we fall back.
      if (await tryTemplate(session, deps, name, base)) return "template";
      sessions = Math.max(1, await on("count the base's sessions", () => session.otherSessions(base)));
    }
    deps.onEvent?.({ kind: "busy", base, sessions });
    await on(
      "copy the base with pg_dump | pg_restore",
      () => session.copyWithDump(name, base, (bytes) => deps.onEvent?.({ kind: "progress", bytes })),
    );
    return "dump";
  });
}

async function tryTemplate(
  session: EngineSession,
  deps: DbDeps,
  name: string,
  base: string,
): Promise<boolean> {
  try {
    await session.createFromTemplate(name, base);
    return true;
  } catch (error) {
    if (error instanceof EngineError && error.kind === "busy") return false;
    throw error instanceof TreehouseError ? error : serverFailure(error, deps.resolved, "copy the base");
  }
}
