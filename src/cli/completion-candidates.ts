/**
 * Candidates for shell completion that depend on where the user is: the branches of the current
 * project (git's local branches and the registry's allocations) and the services of its `[run]`
 * table. Every failure is an empty list: completion never prints an error.
 */
import { localBranches } from "../adapters/git/facts.ts";
import { listAllocations } from "../registry/allocations.ts";
import { loadSettings } from "../services/settings.ts";
import type { AppContext } from "./context.ts";
import { openRegistryIfExists, resolveTarget } from "./target.ts";

/** Branch names starting with `partial`: local branches, then allocated ones, each once. */
export function branchNames(ctx: AppContext, partial: string): string[] {
  const names = new Set<string>();
  try {
    const target = resolveTarget(ctx, {}, "-");
    for (const name of localBranches(target.project_path)) names.add(name);
    const registry = openRegistryIfExists(ctx);
    try {
      for (const a of registry ? listAllocations(registry, target.project_path) : []) names.add(a.branch);
    } finally {
      registry?.close();
    }
  } catch { /* no repository, no registry: nothing to offer */ }
  return [...names].filter((n) => n.startsWith(partial)).sort();
}

/** The `[run]` services of the current project (`default` is the plain `treehouse run`). */
export function serviceNames(ctx: AppContext, partial = ""): string[] {
  try {
    const run = loadSettings(ctx.config, ctx.cwd).run;
    return (run?.services ?? []).map((s) => s.name).filter((n) => n !== "default" && n.startsWith(partial));
  } catch {
    return [];
  }
}
