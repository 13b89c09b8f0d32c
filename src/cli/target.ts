/** Works out which (project, branch) a command acts on, and opens the registry. */
import { MissingToolError, NotARepositoryError, NotFoundError, UsageError } from "../errors.ts";
import { detectRepo, resolve } from "../adapters/git/repo.ts";
import { expandHome, registryPath } from "../registry/path.ts";
import type { Registry } from "../registry/registry.ts";
import { openForReading, openForWriting } from "../registry/open.ts";
import type { AliveCheck, Allocation } from "../registry/allocations.ts";
import { hostFor } from "../core/hostname-template.ts";
import { urlFor } from "../core/child-env.ts";
import { liveFronts } from "../registry/fronts.ts";
import type { Target } from "../services/target.ts";
import type { AppContext } from "./context.ts";

/** Flags shared by every command that acts on a branch. */
export interface BranchFlags {
  readonly branch?: string;
  readonly project?: string;
}

/** `--app` on commands that allocate (it only shapes a new allocation's database name). */
export interface AppFlags {
  readonly app?: string;
}

export type { Target };

/** Resolves `--project`, `--branch` and `--app` against the current directory's repository. */
export function resolveTarget(ctx: AppContext, flags: BranchFlags & AppFlags, branchArg?: string): Target {
  const dir = flags.project ? resolve(ctx.cwd, expandHome(flags.project, ctx.env)) : ctx.cwd;
  if (flags.project) {
    let isDirectory: boolean | undefined;
    try {
      isDirectory = Deno.statSync(dir).isDirectory;
    } catch { /* missing or unreadable: undefined */ }
    if (isDirectory !== true) {
      throw new UsageError(
        `Project directory ${dir} ${isDirectory === false ? "is not a directory" : "does not exist"}`,
        {
          hint:
            "Pass --project with an existing directory (the repository's root or any directory inside it)",
        },
      );
    }
  }
  const wanted = branchArg ?? flags.branch;
  if (wanted !== undefined && wanted.trim() === "") {
    throw new UsageError("Branch name is empty", { hint: "Pass --branch NAME with a non-empty name" });
  }
  // git allows no control characters in a branch name; a newline would forge lines in every table and
  // in `env`'s output.
  // deno-lint-ignore no-control-regex
  if (wanted !== undefined && /[\x00-\x1f\x7f]/.test(wanted)) {
    throw new UsageError(`Branch name ${JSON.stringify(wanted)} contains a control character`, {
      hint: "Pass --branch NAME with a git branch name (no newlines, tabs or other control characters)",
    });
  }
  let repo;
  try {
    repo = detectRepo(dir, { branchKnown: wanted !== undefined, env: ctx.env });
  } catch (error) {
    // Without git, a named branch still works: the directory itself is the project.
    if (!(error instanceof MissingToolError) || wanted === undefined) throw error;
  }
  const branch = wanted ?? repo?.branch;
  if (branch === undefined) {
    throw new NotARepositoryError(`Not a git repository: ${dir}`, {
      hint: "Run inside a git checkout, or name the branch with --branch NAME (and --project PATH)",
    });
  }
  let project_path = repo?.project_path;
  if (project_path === undefined) {
    try {
      project_path = Deno.realPathSync(dir);
    } catch {
      project_path = dir;
    }
  }
  const app = flags.app ?? ctx.env("TREEHOUSE_APP") ?? project_path.split("/").filter(Boolean).pop() ?? "app";
  // A linked worktree's git dir lives under the common dir's worktrees/ (the main worktree's is the common dir).
  const checkout = wanted === undefined && repo
    ? (repo.git_dir !== repo.common_dir ? repo.git_dir : null)
    : undefined;
  return { project_path, branch, app, ...(checkout !== undefined ? { checkout } : {}) };
}

/** Opens the registry chosen by `--db`, `TREEHOUSE_DB` or the XDG default. */
export function openRegistry(ctx: AppContext): Registry {
  return openForWriting(registryPath(ctx.dbFlag, ctx.env));
}

/**
 * Opens the registry only when its file exists: commands that only read or remove (`info`, `list`,
 * `release`, `cleanup`) never create a registry (or its directory) as a side effect.
 */
export function openRegistryIfExists(ctx: AppContext): Registry | undefined {
  return openForReading(registryPath(ctx.dbFlag, ctx.env));
}

/** The "no allocation" error of `info` and `release` (exit 3). */
export function notAllocated(target: Target, hint: string): NotFoundError {
  return new NotFoundError(`No allocation for branch "${target.branch}" in ${target.project_path}`, { hint });
}

/** An allocation as shown to users and scripts: the row plus its full host name, URL and state. */
export interface AllocationView extends Allocation {
  host: string;
  /** The best URL: a running `run --https` front's https (or port-less) one, else `http://<host>:<port>`. */
  url: string;
  /** The https URL its running front serves, else null. */
  https_url: string | null;
  running: boolean;
}

/** Adds `host`, `url` (a running front's when given), `https_url` and `running` (`isAlive`) to an allocation. */
export function viewOf(
  allocation: Allocation,
  settings: { defaultPort: number; hostnameTemplate?: string },
  isAlive: AliveCheck,
  front?: { url: string; https_url: string | null },
): AllocationView {
  const host = hostFor(allocation, settings.hostnameTemplate);
  const port = allocation.port ?? settings.defaultPort;
  return {
    ...allocation,
    host,
    url: front?.url ?? urlFor(host, port),
    https_url: front?.https_url ?? null,
    running: allocation.pid !== null && isAlive(allocation.pid, allocation.pid_started_at),
  };
}

/** The running HTTPS fronts by allocation id (empty without a registry). */
export function frontsOf(
  registry: Registry | undefined,
  isAlive: AliveCheck,
): Map<number, { url: string; https_url: string | null }> {
  return registry ? liveFronts(registry, isAlive) : new Map();
}
