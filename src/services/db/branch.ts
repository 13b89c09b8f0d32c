/**
 * What the `db` commands, `release --drop-database` and `cleanup --drop-databases` share below the CLI:
 * the configured server, the branch's database name and the dependencies of the db services.
 */
import type { Settings } from "../settings.ts";
import { machineLabels } from "../../adapters/machine-name.ts";
import { postgresEngine } from "../../adapters/postgres/client.ts";
import { type AliveCheck, getOrAllocate } from "../../registry/allocations.ts";
import { listDatabases } from "../../registry/databases.ts";
import type { Registry } from "../../registry/registry.ts";
import { branchDatabase } from "./base.ts";
import type { DbDeps, DbEvent } from "./create.ts";
import { type DropCandidate, dropCandidates, type DropOutcome } from "./drop.ts";
import { type Env, type ResolvedServer, resolveServer } from "./server.ts";

/** The server the configuration and the environment name. */
export function configuredServer(settings: Settings, env: Env): ResolvedServer {
  const source = settings.sources.databaseUrl;
  return resolveServer(
    { url: settings.database.url, source: source === "default" ? undefined : source },
    env,
  );
}

/** The branch a db command works on. */
export interface DbTarget {
  project_path: string;
  branch: string;
  app: string;
}

/**
 * The branch's database name: allocating the branch like `env`, or (`allocate: false`, for drop) the
 * name recorded for the branch on this server.
 */
export function branchDatabaseName(
  registry: Registry,
  target: DbTarget,
  settings: Settings,
  resolved: ResolvedServer,
  allocate: boolean,
  isAlive: AliveCheck,
): string {
  if (!allocate) {
    const recorded = listDatabases(registry, {
      project_path: target.project_path,
      branch: target.branch,
      server: resolved.key,
    })[0]?.name;
    return recorded ?? branchDatabase(registry, target.project_path, target.branch, target.app);
  }
  const { allocation } = getOrAllocate(registry, {
    ...target,
    pool: settings.pool,
    now: Date.now(),
    reclaimAfterMs: settings.reclaimAfterMs,
    isAlive,
    reserved: machineLabels,
  });
  return allocation.db_name;
}

/** The db services' dependencies on the real PostgreSQL client. */
export function dbDeps(registry: Registry, resolved: ResolvedServer, onEvent?: (e: DbEvent) => void): DbDeps {
  return { registry, engine: postgresEngine, resolved, now: Date.now, pid: Deno.pid, onEvent };
}

/**
 * Drops the candidates of `release --drop-database` and `cleanup --drop-databases` on the configured
 * server (nothing in a dry run), printing nothing: the caller reports the outcomes.
 */
export async function dropForBranches(
  registry: Registry,
  settings: Settings,
  env: Env,
  candidates: readonly DropCandidate[],
  dryRun: boolean,
): Promise<DropOutcome[]> {
  if (candidates.length === 0) return [];
  return await dropCandidates(dbDeps(registry, configuredServer(settings, env)), candidates, { dryRun });
}
