/**
 * Gathers what cleanup needs to know about a project directory from git: its local branches, the
 * detached HEADs of its worktrees, and linked worktrees whose directory was deleted. Two git calls
 * per project, whatever the number of allocations.
 */
import { runProgram } from "../process/spawn.ts";
import { existsFollowing } from "../paths.ts";
import type { RepoFacts } from "../../core/cleanup-policy.ts";

function git(dir: string, args: string[]): string | undefined {
  try {
    const result = runProgram(["git", "-C", dir, ...args]);
    return result.code === 0 ? result.stdout : undefined;
  } catch {
    return undefined; // git missing: nothing can be said about branches, so nothing is removed for them
  }
}

/** The facts about one project directory. */
export function repoFacts(projectPath: string): RepoFacts {
  if (!existsFollowing(projectPath)) return { kind: "missing" };
  const refs = git(projectPath, ["for-each-ref", "--format=%(refname)", "refs/heads/"]);
  if (refs === undefined) return { kind: "not-a-repository" };
  const branches = new Set(
    refs.split("\n").filter((l) => l.startsWith("refs/heads/")).map((l) => l.slice("refs/heads/".length)),
  );
  const detachedHeads: string[] = [];
  const checkedOut = new Set<string>();
  const removedWorktrees = new Map<string, string>();
  for (const block of (git(projectPath, ["worktree", "list", "--porcelain"]) ?? "").split("\n\n")) {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      const space = line.indexOf(" ");
      fields.set(space === -1 ? line : line.slice(0, space), space === -1 ? "" : line.slice(space + 1));
    }
    const path = fields.get("worktree");
    if (path === undefined) continue;
    const gone = fields.has("prunable") || !existsFollowing(path);
    const branch = fields.get("branch");
    if (gone && branch?.startsWith("refs/heads/")) {
      removedWorktrees.set(branch.slice("refs/heads/".length), path);
    } else if (!gone && branch?.startsWith("refs/heads/")) {
      // Checked out counts as existing, even before its first commit (an unborn branch has no ref).
      branches.add(branch.slice("refs/heads/".length));
      checkedOut.add(branch.slice("refs/heads/".length));
    } else if (!gone && fields.has("detached")) {
      const head = fields.get("HEAD");
      if (head) detachedHeads.push(head);
    }
  }
  return { kind: "repository", branches, detachedHeads, removedWorktrees, checkedOut };
}

/** The local branches of a repository (for shell completion); empty when git cannot say. */
export function localBranches(projectPath: string): string[] {
  const refs = git(projectPath, ["for-each-ref", "--format=%(refname:short)", "refs/heads/"]);
  return refs === undefined ? [] : refs.split("\n").map((l) => l.trim()).filter(Boolean);
}
