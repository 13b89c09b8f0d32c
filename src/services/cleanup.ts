/**
 * `treehouse cleanup` as a function: decide with the pure policy, then remove each chosen
 * allocation only if it is still exactly as it was seen (a server that started meanwhile wins).
 */
import type { Registry } from "../registry/registry.ts";
import { type Allocation, deleteAllocationIfUnchanged, listAllocations } from "../registry/allocations.ts";
import type { AliveCheck } from "../registry/allocations.ts";
import { cleanupReason, type CleanupRules, type RepoFacts } from "../core/cleanup-policy.ts";
import { repoFacts } from "../adapters/git/facts.ts";
import { existsFollowing } from "../adapters/paths.ts";
import { checkoutsOf } from "../registry/checkouts.ts";
import { pruneReservations } from "./maintain.ts";
import { cleanupRuns } from "./control/doctor.ts";
import type { DropOutcome } from "./db/drop.ts";
import type { Env } from "./db/server.ts";
import type { Settings } from "./settings.ts";

/** A reservation cleanup removed (or would remove), with the reason. */
export type PrunedReservation = ReturnType<typeof pruneReservations>[number];

/** An allocation cleanup removed (or would remove), with the reason. */
export interface Removed extends Allocation {
  reason: string;
}

/** Options for {@link cleanupAllocations}. */
export interface CleanupOptions extends CleanupRules {
  dryRun: boolean;
  /** Only this project's allocations (all when undefined). */
  project?: string;
  isAlive: AliveCheck;
  /** Facts about a project directory (git by default; a seam for tests). */
  facts?: (projectPath: string) => RepoFacts;
  /** Whether git still has a linked worktree's git dir (`git worktree remove` deletes it). */
  gitDirListed?: (gitDir: string) => boolean;
}

/** Finds and (unless `dryRun`) removes dead allocations; returns them with their reasons. */
export function cleanupAllocations(registry: Registry, options: CleanupOptions): Removed[] {
  const facts = new Map<string, RepoFacts>();
  const factsOf = options.facts ?? repoFacts;
  const removed: Removed[] = [];
  const checkouts = checkoutsOf(registry, options.project);
  const listed = options.gitDirListed ?? existsFollowing;
  for (const a of listAllocations(registry, options.project)) {
    const alive = a.pid !== null && options.isAlive(a.pid, a.pid_started_at);
    if (alive) continue; // running servers are never touched: no git call needed
    let repo = facts.get(a.project_path);
    if (repo === undefined) facts.set(a.project_path, repo = factsOf(a.project_path));
    const gitDir = checkouts.get(`${a.project_path}\0${a.branch}`);
    const checkout = gitDir === undefined ? undefined : { gitDir, listed: listed(gitDir) };
    const reason = cleanupReason(
      { branch: a.branch, pid: a.pid, last_seen_at: a.last_seen_at, alive, repo, checkout },
      options,
    );
    if (reason === undefined) continue;
    if (options.dryRun || deleteIfUnchanged(registry, a)) removed.push({ ...a, reason });
  }
  return removed;
}

/**
 * Deletes the row only if its process and heartbeat are what cleanup looked at, in one
 * transaction: deleting by id alone would race with a `run` that started meanwhile.
 */
function deleteIfUnchanged(registry: Registry, a: Allocation): boolean {
  return registry.write(() => deleteAllocationIfUnchanged(registry, a));
}

/** What `treehouse cleanup` does in one call. */
export interface CleanupRequest {
  dryRun: boolean;
  now: number;
  staleAfterMs: number;
  /** Unused reservations older than this go (cleanup.expire_after unless --older-than). */
  expireAfterMs: number;
  /** `--older-than`: narrows both kinds. */
  olderThanMs?: number;
  project?: string;
  isAlive: AliveCheck;
  /** `--drop-databases`: drops the databases of the branches removed (and of branches long gone). */
  dropDatabases?: (removed: readonly Removed[]) => Promise<DropOutcome[]>;
}

/** Everything cleanup removed (or would remove). */
export interface CleanupReport {
  allocations: Removed[];
  reservations: PrunedReservation[];
  databases: DropOutcome[];
  runs: number;
}

/** Allocations, reservations, databases (when asked) and runs nobody can use any more. */
export async function cleanupAll(registry: Registry, req: CleanupRequest): Promise<CleanupReport> {
  const allocations = cleanupAllocations(registry, {
    dryRun: req.dryRun,
    now: req.now,
    staleAfterMs: req.staleAfterMs,
    olderThanMs: req.olderThanMs,
    project: req.project,
    isAlive: req.isAlive,
  });
  // Reservations unused for cleanup.expire_after (30d) go too; --older-than narrows it for both kinds.
  const reservations = pruneReservations(registry, {
    dryRun: req.dryRun,
    now: req.now,
    olderThanMs: req.olderThanMs ?? req.expireAfterMs,
    under: req.project,
  });
  const databases = req.dropDatabases ? await req.dropDatabases(allocations) : [];
  // Runs (issue 15): records of gone wrappers end, and ended runs older than the stale time go.
  const runs = req.dryRun
    ? 0
    : await cleanupRuns(registry, req.now, req.staleAfterMs, req.isAlive, req.project);
  return { allocations, reservations, databases, runs };
}

/**
 * `--drop-databases`: the recorded databases of the allocations cleanup removed, and of branches that
 * are gone and have no allocation left (loaded only with the flag; nothing is dropped in a dry run).
 */
export async function dropDatabasesOf(
  registry: Registry,
  settings: Settings,
  env: Env,
  removed: readonly { project_path: string; branch: string; reason: string }[],
  project: string | undefined,
  dryRun: boolean,
): Promise<DropOutcome[]> {
  const [{ dropForBranches }, { databasesOfBranches, orphanDatabases }] = await Promise.all([
    import("./db/branch.ts"),
    import("./db/drop.ts"),
  ]);
  const seen = new Set<number>();
  const candidates = [...databasesOfBranches(registry, removed), ...orphanDatabases(registry, repoFacts)]
    .filter((c) => (project === undefined || c.record.project_path === project) && !seen.has(c.record.id))
    .filter((c) => (seen.add(c.record.id), true));
  return await dropForBranches(registry, settings, env, candidates, dryRun);
}
