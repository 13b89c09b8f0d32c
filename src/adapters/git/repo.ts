/**
 * Which project and branch a directory belongs to. The hot path reads `.git`, a worktree's
 * `gitdir`/`commondir` files and `HEAD` directly (no process); anything unusual (GIT_DIR, bare
 * repositories, separate git dirs) falls back to one `git rev-parse` call. Both give the same answer.
 */
import { denoEnv, type Env } from "../env.ts";
import { runProgram } from "../process/spawn.ts";
import { normalizeLexical } from "../paths.ts";

/** A directory's repository: the project key and the current branch. */
export interface RepoInfo {
  /** Main worktree's root (realpath); shared by every worktree of the repository. */
  project_path: string;
  /** Current branch, or `detached-<short sha>`. */
  branch: string;
  /** The git dir of this worktree (absolute). */
  git_dir: string;
  /** The repository's common git dir (absolute). */
  common_dir: string;
}

/** Variables that change how git finds the repository: with any of them set, ask git itself. */
const GIT_ENV = [
  "GIT_DIR",
  "GIT_COMMON_DIR",
  "GIT_WORK_TREE",
  "GIT_CEILING_DIRECTORIES",
  "GIT_DISCOVERY_ACROSS_FILESYSTEM",
];

/**
 * Finds the repository of `start`, reading files when possible and asking git otherwise. With
 * `branchKnown` (the user named the branch), a directory with no `.git` above it is taken as a
 * plain directory without asking git whether it is a bare repository (both give the same project).
 */
export function detectRepo(
  start: string,
  options: { branchKnown?: boolean; env?: Env } = {},
): RepoInfo | undefined {
  // Without an env given, git's variables are looked for in the one that git itself will see.
  const env = options.env ?? denoEnv;
  if (GIT_ENV.some((name) => env(name) !== undefined)) return detectRepoWithGit(start);
  const fast = detectRepoFromFiles(start);
  if (fast === "none") return options.branchKnown ? undefined : detectRepoWithGit(start);
  if (fast === "unusual") return detectRepoWithGit(start);
  return fast;
}

/**
 * The file-reading path. Returns `"unusual"` when git must decide (bare repo, separate git dir, odd
 * HEAD) and `"none"` when no `.git` exists above `start` (which may still be a bare repository).
 */
export function detectRepoFromFiles(start: string): RepoInfo | "unusual" | "none" {
  let dir: string;
  try {
    dir = Deno.realPathSync(start);
  } catch {
    return "unusual";
  }
  for (;;) {
    const dotGit = `${dir === "/" ? "" : dir}/.git`;
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(dotGit);
    } catch { /* not here */ }
    if (info?.isDirectory) return fromGitDir(dotGit);
    if (info?.isFile) {
      const target = readGitdirFile(dotGit, dir);
      return target === undefined ? "unusual" : fromGitDir(target);
    }
    if (dir === "/") return "none";
    dir = parent(dir);
  }
}

/** The `git rev-parse` path: one process answers where the git dirs are. */
export function detectRepoWithGit(start: string): RepoInfo | undefined {
  const out = runProgram([
    "git",
    "-C",
    start,
    "rev-parse",
    "--path-format=absolute",
    "--git-common-dir",
    "--git-dir",
  ], {
    missingHint: "Install git, or pass --branch NAME (and --project PATH) to name the branch yourself",
  });
  if (out.code !== 0) return undefined;
  const [commonDir, gitDir] = out.stdout.split("\n");
  if (!commonDir || !gitDir) return undefined;
  const branch = branchFromHead(gitDir, commonDir) ?? branchWithGit(start);
  if (branch === undefined) return undefined;
  return { project_path: projectFromCommonDir(commonDir), branch, git_dir: gitDir, common_dir: commonDir };
}

function fromGitDir(gitDir: string): RepoInfo | "unusual" {
  let commonDir = gitDir;
  try {
    const rel = Deno.readTextFileSync(`${gitDir}/commondir`).trim();
    commonDir = resolve(gitDir, rel);
  } catch { /* a main worktree has no commondir file */ }
  try {
    commonDir = Deno.realPathSync(commonDir);
  } catch {
    return "unusual";
  }
  if (!commonDir.endsWith("/.git")) return "unusual";
  const branch = branchFromHead(gitDir, commonDir);
  if (branch === undefined) return "unusual";
  return { project_path: projectFromCommonDir(commonDir), branch, git_dir: gitDir, common_dir: commonDir };
}

/** Reads `HEAD`: `ref: refs/heads/X` → X; a bare object id → `detached-<7 chars>`. */
function branchFromHead(gitDir: string, _commonDir: string): string | undefined {
  let head: string;
  try {
    head = Deno.readTextFileSync(`${gitDir}/HEAD`).trim();
  } catch {
    return undefined;
  }
  const ref = /^ref:\s*refs\/heads\/(.+)$/.exec(head);
  if (ref?.[1] && ref[1] !== ".invalid") return ref[1];
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head)) return `detached-${head.slice(0, 7)}`;
  return undefined;
}

function branchWithGit(start: string): string | undefined {
  const out = runProgram(["git", "-C", start, "symbolic-ref", "-q", "--short", "HEAD"]);
  if (out.code === 0) return out.stdout.trim() || undefined;
  const sha = runProgram(["git", "-C", start, "rev-parse", "HEAD"]);
  if (sha.code !== 0) return undefined;
  return `detached-${sha.stdout.trim().slice(0, 7)}`;
}

function projectFromCommonDir(commonDir: string): string {
  let dir = commonDir.replace(/\/+$/, "");
  if (dir.endsWith("/.git")) dir = parent(dir);
  try {
    return Deno.realPathSync(dir);
  } catch {
    return dir;
  }
}

function readGitdirFile(file: string, dir: string): string | undefined {
  try {
    const match = /^gitdir:\s*(.+)$/m.exec(Deno.readTextFileSync(file));
    return match?.[1] ? resolve(dir, match[1].trim()) : undefined;
  } catch {
    return undefined;
  }
}

function parent(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Resolves `rel` against `base` without `node:path` (kept off the hot path for start-up time). */
export function resolve(base: string, rel: string): string {
  return normalizeLexical(rel, base);
}
