/** Project and task of a reservation, inferred from git: repository name and branch (or worktree). */
import { detectRepo } from "../git/repo.ts";
import { baseName } from "./paths.ts";

/** Project (repository name) and task (branch) of the repository holding `path`, if any. */
export function inferFromGit(path: string): { project: string | null; task: string | null } {
  let dir = path;
  // The path may not exist yet: ask about its nearest existing ancestor.
  for (;;) {
    try {
      if (Deno.statSync(dir).isDirectory) break;
    } catch { /* keep walking up */ }
    if (dir === "/") return { project: null, task: null };
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
  }
  try {
    const repo = detectRepo(dir);
    if (!repo) return { project: null, task: null };
    return { project: baseName(repo.project_path), task: repo.branch };
  } catch {
    return { project: null, task: null };
  }
}
