/**
 * Dropping a branch's database, and reset (drop, then create again). Only a database the registry
 * records for that branch is ever dropped; one with the same name that treehouse did not create is
 * an error naming it, and stays as it is.
 */
import type { EngineSession } from "../../adapters/postgres/engine.ts";
import { ConflictError, NotFoundError } from "../../errors.ts";
import { type DatabaseRecord, findDatabase, forgetDatabase } from "../../registry/databases.ts";
import { type CreateRequest, type CreateResult, createWith, type DbDeps, openSession } from "./create.ts";
import { onServer } from "./failures.ts";

/** What to drop. */
export interface DropRequest {
  project_path: string;
  branch: string;
  /** The branch's database name. */
  name: string;
  /** End the database's sessions (the branch's own server) instead of refusing. */
  terminate?: boolean;
}

/** Drops the branch's database and forgets its record. */
export async function dropDatabase(deps: DbDeps, req: DropRequest): Promise<DatabaseRecord> {
  const session = await openSession(deps);
  try {
    return await dropWith(session, deps, req);
  } finally {
    await session.close();
  }
}

/** {@link dropDatabase} on an open session. */
export async function dropWith(
  session: EngineSession,
  deps: DbDeps,
  req: DropRequest,
): Promise<DatabaseRecord> {
  const { resolved, registry } = deps;
  const on = <T>(action: string, fn: () => Promise<T>) => onServer(resolved, action, fn);
  const unlock = await on(
    "lock",
    () => session.lock(`db:${req.name}`, () => deps.onEvent?.({ kind: "waiting", name: req.name })),
  );
  try {
    const record = findDatabase(registry, resolved.key, req.name);
    const exists = await on("look up the database", () => session.exists(req.name));
    if (!record || record.project_path !== req.project_path || record.branch !== req.branch) {
      if (exists) {
        throw new ConflictError(
          `Database "${req.name}" on ${resolved.label} was not created by treehouse for branch "${req.branch}"` +
            (record ? ` (it is ${record.branch}'s of ${record.project_path})` : ""),
          { hint: "treehouse only drops databases it created; drop it yourself (dropdb) if you mean to" },
        );
      }
      throw new NotFoundError(`Branch "${req.branch}" has no database on ${resolved.label}`, {
        hint: "See the databases treehouse created with `treehouse db list --all`",
      });
    }
    if (exists) {
      const sessions = await on("count the database's sessions", () => session.otherSessions(req.name));
      if (sessions > 0 && !req.terminate) {
        throw new ConflictError(
          `Database "${req.name}" has ${sessions} other session${sessions === 1 ? "" : "s"} (its server?)`,
          { hint: "Stop the branch's server first, or pass --terminate to end them" },
        );
      }
      await on("drop the database", () => session.drop(req.name, { force: sessions > 0 }));
    }
    forgetDatabase(registry, record.id);
    return record;
  } finally {
    await unlock();
  }
}

/** Drops (when there is one) and creates the branch's database again, on one session. */
export async function resetDatabase(deps: DbDeps, req: CreateRequest): Promise<CreateResult> {
  const session = await openSession(deps);
  try {
    if (findDatabase(deps.registry, deps.resolved.key, req.name)) {
      await dropWith(session, deps, { ...req });
    }
    return await createWith(session, deps, req);
  } finally {
    await session.close();
  }
}
