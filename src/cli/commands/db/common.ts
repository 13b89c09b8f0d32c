/** What the `db` commands share: the server, the branch's database name and confirmation. */
import { loadSettings, type Settings } from "../../../services/settings.ts";
import { UsageError } from "../../../errors.ts";
import type { Registry } from "../../../registry/registry.ts";
import { branchDatabaseName, configuredServer, dbDeps } from "../../../services/db/branch.ts";
import type { DbDeps, DbEvent } from "../../../services/db/create.ts";
import type { ResolvedServer } from "../../../services/db/server.ts";
import type { AppContext } from "../../context.ts";
import { type AppFlags, type BranchFlags, openRegistry, resolveTarget } from "../../target.ts";

/** The server this command's configuration and environment name. */
export function serverOf(ctx: AppContext, settings: Settings): ResolvedServer {
  return configuredServer(settings, ctx.env);
}

export interface Prepared {
  settings: Settings;
  resolved: ResolvedServer;
  registry: Registry;
  target: { project_path: string; branch: string; app: string };
  name: string;
}

/**
 * Settings, server, registry and the branch's database name: allocating the branch like `env`, or
 * (`allocate: false`, for drop) the name recorded for the branch on this server.
 */
export function prepare(
  ctx: AppContext,
  flags: BranchFlags & AppFlags,
  branchArg?: string,
  allocate = true,
): Prepared {
  const settings = loadSettings(ctx.config, ctx.cwd);
  const resolved = serverOf(ctx, settings);
  const target = resolveTarget(ctx, flags, branchArg);
  const registry = openRegistry(ctx);
  try {
    const name = branchDatabaseName(registry, target, settings, resolved, allocate, ctx.host.isAlive);
    return { settings, resolved, registry, target, name };
  } catch (error) {
    registry.close();
    throw error;
  }
}

export function deps(p: Prepared, onEvent?: (e: DbEvent) => void): DbDeps {
  return dbDeps(p.registry, p.resolved, onEvent);
}

export function needYes(flags: { yes?: boolean }, what: string): void {
  if (!flags.yes) {
    throw new UsageError(`${what}: pass --yes to confirm`, { hint: "Dropping a database deletes its data" });
  }
}
