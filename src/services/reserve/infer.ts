/** Project and task of a reservation, inferred from git: repository name and branch (or worktree). */
import { detectRepo } from "../../adapters/git/repo.ts";
import { baseName } from "../../adapters/paths.ts";
import { denoEnv, type Env } from "../../adapters/env.ts";

/** Project (repository name) and task (branch) of the repository holding `path`, if any. */
export function inferFromGit(
  path: string,
  env: Env = denoEnv,
): { project: string | null; task: string | null } {
  let dir = path;
  // The path may not exist yet: ask about its nearest existing ancestor.
  for (;;) {
    try {
      if (Deno.statSync(dir).isDirectory) break;
    } catch { /* keep walking up */ }
    if (dir === "/") return { project: null, task: null };
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
  }
  if (!hasGitAbove(dir, env)) return { project: null, task: null }; // outside any repository: start no git
  try {
    const repo = detectRepo(dir, { env });
    if (!repo) return { project: null, task: null };
    return { project: baseName(repo.project_path), task: repo.branch };
  } catch {
    return { project: null, task: null };
  }
}

/** True when `dir` or an ancestor holds a `.git` entry (or git's own variables say where it is). */
function hasGitAbove(dir: string, env: Env): boolean {
  if (env("GIT_DIR") !== undefined) return true;
  for (let d = dir;;) {
    try {
      Deno.lstatSync(`${d === "/" ? "" : d}/.git`);
      return true;
    } catch { /* keep walking up */ }
    if (d === "/") return false;
    d = d.slice(0, d.lastIndexOf("/")) || "/";
  }
}
