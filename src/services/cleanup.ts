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
