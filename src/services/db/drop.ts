/**
 * Dropping a branch's database, and reset (drop, then create again). Only a database the registry
 * records for that branch is ever dropped; one with the same name that treehouse did not create is
 * an error naming it, and stays as it is.
 */
import type { EngineSession } from "../../adapters/postgres/engine.ts";
import { ConflictError, NotFoundError } from "../../errors.ts";
import type { RepoFacts } from "../../core/cleanup-policy.ts";
import { findAllocation } from "../../registry/allocations.ts";
import {
  type DatabaseRecord,
  findDatabase,
  forgetDatabase,
  listDatabases,
} from "../../registry/databases.ts";
import type { Registry } from "../../registry/registry.ts";
import {
  type CreateRequest,
  type CreateResult,
  createWith,
  type DbDeps,
  holdingDatabase,
  openSession,
  withSession,
} from "./create.ts";
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
export function dropDatabase(deps: DbDeps, req: DropRequest): Promise<DatabaseRecord> {
  return withSession(deps, (session) => dropWith(session, deps, req));
}

/** {@link dropDatabase} on an open session. */
export function dropWith(
  session: EngineSession,
  deps: DbDeps,
  req: DropRequest,
): Promise<DatabaseRecord> {
  const { resolved, registry } = deps;
  const on = <T>(action: string, fn: () => Promise<T>) => onServer(resolved, action, fn);
  return holdingDatabase(session, deps, req.name, async () => {
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
      if (sessions > 0) deps.onEvent?.({ kind: "ending-sessions", name: req.name, sessions });
      await on("drop the database", () => session.drop(req.name, { force: sessions > 0 }));
    }
    forgetDatabase(registry, record.id);
    return record;
  });
}

/** Drops (when there is one) and creates the branch's database again, on one session. */
export function resetDatabase(deps: DbDeps, req: CreateRequest): Promise<CreateResult> {
  return withSession(deps, async (session) => {
    if (findDatabase(deps.registry, deps.resolved.key, req.name)) {
      await dropWith(session, deps, { ...req });
    }
    return await createWith(session, deps, req);
  });
}

/** A database chosen to go with its branch, and why. */
export interface DropCandidate {
  record: DatabaseRecord;
  reason: string;
}

/** What happened to a candidate. */
export interface DropOutcome extends DropCandidate {
  /** Dropped now (false in a dry run, or when it failed). */
  dropped: boolean;
  /** Why it was not dropped (a failure, or a database on another server). */
  error?: string;
}

/** The recorded databases of these branches (every server's). */
export function databasesOfBranches(
  registry: Registry,
  branches: readonly { project_path: string; branch: string; reason: string }[],
): DropCandidate[] {
  const found: DropCandidate[] = [];
  for (const b of branches) {
    for (const record of listDatabases(registry, { project_path: b.project_path, branch: b.branch })) {
      found.push({ record, reason: b.reason });
    }
  }
  return found;
}

/**
 * Recorded databases whose branch has no allocation left and no longer exists in its repository
 * (or whose repository is gone): what `cleanup --drop-databases` takes besides the removed branches'.
 */
export function orphanDatabases(
  registry: Registry,
  factsOf: (project: string) => RepoFacts,
): DropCandidate[] {
  const facts = new Map<string, RepoFacts>();
  const found: DropCandidate[] = [];
  for (const record of listDatabases(registry)) {
    if (findAllocation(registry, record.project_path, record.branch)) continue;
    let repo = facts.get(record.project_path);
    if (!repo) facts.set(record.project_path, repo = factsOf(record.project_path));
    if (repo.kind === "missing") found.push({ record, reason: "its project directory is gone" });
    else if (repo.kind === "repository" && !repo.branches.has(record.branch)) {
      found.push({ record, reason: "its branch no longer exists" });
    }
  }
  return found;
}

/**
 * Drops the candidates on the current server (one session, none in a dry run). Each failure is
 * reported in its outcome and the others go on; a database on another server is left with a note.
 */
export async function dropCandidates(
  deps: DbDeps,
  candidates: readonly DropCandidate[],
  options: { dryRun: boolean },
): Promise<DropOutcome[]> {
  const here = candidates.filter((c) => c.record.server === deps.resolved.key);
  const outcomes: DropOutcome[] = candidates.filter((c) => c.record.server !== deps.resolved.key).map((
    c,
  ) => ({
    ...c,
    dropped: false,
    error: `on another server (${c.record.server}): set TREEHOUSE_DATABASE_URL to it and run cleanup again`,
  }));
  if (options.dryRun || here.length === 0) {
    return [...here.map((c) => ({ ...c, dropped: false })), ...outcomes];
  }
  let session: EngineSession;
  try {
    session = await openSession(deps);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return [...here.map((c) => ({ ...c, dropped: false, error: text })), ...outcomes];
  }
  const done: DropOutcome[] = [];
  try {
    for (const c of here) {
      try {
        await dropWith(session, deps, { ...c.record });
        done.push({ ...c, dropped: true });
      } catch (error) {
        done.push({ ...c, dropped: false, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    await session.close();
  }
  return [...done, ...outcomes];
}
