/**
 * Which allocations `treehouse cleanup` removes, and why. Pure: the caller gathers the facts about
 * each allocation's repository and process and passes `now`.
 */
import { formatAge } from "./duration.ts";

/** What is known about an allocation's repository. */
export type RepoFacts =
  /** The project directory no longer exists. */
  | { kind: "missing" }
  /** The directory exists but is not a git repository (allocated with --branch): branches unknown. */
  | { kind: "not-a-repository" }
  | {
    kind: "repository";
    /** Local branch names (`refs/heads/*`). */
    branches: ReadonlySet<string>;
    /** Full SHAs at which some worktree has a detached HEAD. */
    detachedHeads: readonly string[];
    /** Branch → path of the linked worktree it is checked out in, when that directory is gone. */
    removedWorktrees: ReadonlyMap<string, string>;
    /** Branches some worktree git lists has checked out. */
    checkedOut: ReadonlySet<string>;
  };

/** What cleanup looks at for one allocation. */
export interface CleanupCandidate {
  branch: string;
  pid: number | null;
  last_seen_at: number;
  /** The recorded process is running. */
  alive: boolean;
  repo: RepoFacts;
  /** The linked worktree the branch was last used from (its git dir), and whether git still has it. */
  checkout?: { gitDir: string; listed: boolean };
}

/** The rules' parameters. */
export interface CleanupRules {
  now: number;
  /** A dead process's allocation is stale after this long without a heartbeat. */
  staleAfterMs: number;
  /** `--older-than`: only allocations not seen for at least this long. */
  olderThanMs?: number;
}

/** Why an allocation should go, or `undefined` to keep it. Running servers are always kept. */
export function cleanupReason(c: CleanupCandidate, rules: CleanupRules): string | undefined {
  if (c.alive) return undefined;
  const age = rules.now - c.last_seen_at;
  if (rules.olderThanMs !== undefined && age < rules.olderThanMs) return undefined;
  const repo = c.repo;
  if (repo.kind === "missing") return "its repository directory is gone";
  if (repo.kind === "repository") {
    const detached = /^detached-([0-9a-f]{4,40})$/.exec(c.branch);
    if (detached) {
      const sha = detached[1]!;
      if (!repo.branches.has(c.branch) && !repo.detachedHeads.some((h) => h.startsWith(sha))) {
        return `no worktree is detached at ${sha} any more`;
      }
    } else if (!repo.branches.has(c.branch)) {
      return "its branch no longer exists";
    }
    const worktree = repo.removedWorktrees.get(c.branch);
    if (worktree !== undefined) return `its worktree ${worktree} was removed`;
    // `git worktree remove` leaves the branch but takes the worktree off git's list.
    if (c.checkout && !c.checkout.listed && !repo.checkedOut.has(c.branch)) {
      return `its worktree is gone: git no longer lists ${c.checkout.gitDir.replace(/\/+$/, "")}`;
    }
  }
  if (c.pid !== null && age >= rules.staleAfterMs) {
    return `its process ${c.pid} is dead and was last seen ${formatAge(age)} ago`;
  }
  return undefined;
}
