/**
 * Which database a clone copies: `--from-database NAME`, `--from BRANCH`, else `[database] template`
 * (a database name), else `[database] from` (a branch), else the repository's default branch
 * (`origin/HEAD`, else `main` or `master`). A branch's database is its allocation's name, else the
 * name treehouse would give it.
 */
import { invalidDatabaseName } from "../../core/database-url.ts";
import { databaseName } from "../../core/sanitize.ts";
import { UsageError } from "../../errors.ts";
import { runProgram } from "../../adapters/process/spawn.ts";
import { findAllocation } from "../../registry/allocations.ts";
import type { Registry } from "../../registry/registry.ts";

/** The choice of base from the command line and the configuration. */
export interface BaseChoice {
  fromBranch?: string;
  fromDatabase?: string;
  /** `[database] template`. */
  template?: string;
  /** `[database] from`. */
  from?: string;
}

/** The base: its database and how it was chosen (for messages). */
export interface Base {
  name: string;
  /** `branch main`, `database my_app_dev`. */
  label: string;
  /** The base branch, when a branch chose it. */
  branch?: string;
}

/** The repository's default branch: `origin/HEAD`'s target, else `main` or `master` when it exists. */
export function defaultBranch(projectPath: string): string {
  const git = (args: string[]) => {
    try {
      const result = runProgram(["git", "-C", projectPath, ...args]);
      return result.code === 0 ? result.stdout.trim() : undefined;
    } catch {
      return undefined; // no git: the conventional name
    }
  };
  const origin = git(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"]);
  if (origin?.startsWith("origin/")) return origin.slice("origin/".length);
  for (const name of ["main", "master"]) {
    if (git(["rev-parse", "--verify", "--quiet", `refs/heads/${name}`]) !== undefined) return name;
  }
  return "main";
}

/** The database of `branch` in the project: its allocation's, else the name it would get. */
export function branchDatabase(registry: Registry, project: string, branch: string, app: string): string {
  return findAllocation(registry, project, branch)?.db_name ?? databaseName(app, branch);
}

/** Chooses the base database; `defaultOf` gives the default branch (git by default). */
export function chooseBase(
  registry: Registry,
  target: { project_path: string; app: string },
  choice: BaseChoice,
  defaultOf: (project: string) => string = defaultBranch,
): Base {
  const named = choice.fromDatabase ?? (choice.fromBranch === undefined ? choice.template : undefined);
  if (named !== undefined) {
    const problem = invalidDatabaseName(named);
    if (problem) throw new UsageError(`Invalid base database name: ${problem}`);
    return { name: named, label: `database ${named}` };
  }
  const branch = choice.fromBranch ?? choice.from ?? defaultOf(target.project_path);
  return {
    name: branchDatabase(registry, target.project_path, branch, target.app),
    label: `branch ${branch}`,
    branch,
  };
}
