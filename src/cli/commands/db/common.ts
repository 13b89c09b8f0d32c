/** What the `db` commands share: the server, the branch's database name, event rendering, drop reports. */
import { formatBytes } from "../../../core/database-url.ts";
import { loadSettings, type Settings } from "../../../services/settings.ts";
import { UsageError } from "../../../errors.ts";
import { isProcessAlive } from "../../../adapters/proc/process-info.ts";
import { machineLabels } from "../../../adapters/machine-name.ts";
import { getOrAllocate } from "../../../registry/allocations.ts";
import { listDatabases } from "../../../registry/databases.ts";
import type { Registry } from "../../../registry/registry.ts";
import { postgresEngine } from "../../../adapters/postgres/client.ts";
import { branchDatabase } from "../../../services/db/base.ts";
import type { DbDeps, DbEvent } from "../../../services/db/create.ts";
import { type DropCandidate, dropCandidates, type DropOutcome } from "../../../services/db/drop.ts";
import { type ResolvedServer, resolveServer } from "../../../services/db/server.ts";
import type { AppContext } from "../../context.ts";
import { say, warn } from "../../output.ts";
import { type AppFlags, type BranchFlags, openRegistry, resolveTarget } from "../../target.ts";

/** The server this command's configuration and environment name. */
export function serverOf(ctx: AppContext, settings: Settings): ResolvedServer {
  const source = settings.sources.databaseUrl;
  return resolveServer(
    { url: settings.database.url, source: source === "default" ? undefined : source },
    ctx.env,
  );
}

/** Renders the db service's events on stderr (a progress line only on a terminal). */
export function eventPrinter(ctx: AppContext): { onEvent: (e: DbEvent) => void; done: () => void } {
  const terminal = Deno.stderr.isTerminal();
  let progressShown = false;
  let last = 0;
  return {
    onEvent: (e) => {
      if (e.kind === "progress") {
        const now = Date.now();
        if (!terminal || now - last < 100) return;
        last = now;
        progressShown = true;
        ctx.process.stderr.write(
          `\r\x1b[2Ktreehouse: copying with pg_dump | pg_restore: ${formatBytes(e.bytes)}`,
        );
        return;
      }
      if (e.kind === "waiting") say(ctx, `treehouse: waiting for another treehouse process using ${e.name}`);
      if (e.kind === "unfinished") {
        say(ctx, `treehouse: an earlier create of ${e.name} did not finish: making it again`);
      }
      if (e.kind === "terminating") {
        warn(
          ctx,
          `ending ${e.sessions} session${e.sessions === 1 ? "" : "s"} on ${e.base} for the fast copy: ` +
            "their clients (the base branch's server) will reconnect",
        );
      }
      if (e.kind === "busy") {
        say(
          ctx,
          `treehouse: ${e.base} is in use (${e.sessions} session${
            e.sessions === 1 ? "" : "s"
          }): copying with ` +
            "pg_dump | pg_restore so its server is not disturbed (--terminate for the fast copy)",
        );
      }
    },
    done: () => {
      if (progressShown) ctx.process.stderr.write("\n");
    },
  };
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
  const settings = loadSettings(ctx.env, ctx.cwd);
  const resolved = serverOf(ctx, settings);
  const target = resolveTarget(ctx, flags, branchArg);
  const registry = openRegistry(ctx);
  try {
    if (!allocate) {
      const recorded = listDatabases(registry, {
        project_path: target.project_path,
        branch: target.branch,
        server: resolved.key,
      })[0]?.name;
      const name = recorded ?? branchDatabase(registry, target.project_path, target.branch, target.app);
      return { settings, resolved, registry, target, name };
    }
    const { allocation } = getOrAllocate(registry, {
      ...target,
      pool: settings.pool,
      now: Date.now(),
      reclaimAfterMs: settings.reclaimAfterMs,
      isAlive: isProcessAlive,
      reserved: machineLabels,
    });
    return { settings, resolved, registry, target, name: allocation.db_name };
  } catch (error) {
    registry.close();
    throw error;
  }
}

export function deps(p: Prepared, onEvent?: (e: DbEvent) => void): DbDeps {
  return {
    registry: p.registry,
    engine: postgresEngine,
    resolved: p.resolved,
    now: Date.now,
    pid: Deno.pid,
    onEvent,
  };
}

export function needYes(flags: { yes?: boolean }, what: string): void {
  if (!flags.yes) {
    throw new UsageError(`${what}: pass --yes to confirm`, { hint: "Dropping a database deletes its data" });
  }
}

/**
 * Drops the candidates of `release --drop-database` and `cleanup --drop-databases` on the configured
 * server (nothing in a dry run), printing nothing: the caller reports the outcomes.
 */
export async function dropForBranches(
  ctx: AppContext,
  registry: Registry,
  candidates: readonly DropCandidate[],
  dryRun: boolean,
): Promise<DropOutcome[]> {
  if (candidates.length === 0) return [];
  const resolved = serverOf(ctx, loadSettings(ctx.env, ctx.cwd));
  return await dropCandidates(
    { registry, engine: postgresEngine, resolved, now: Date.now, pid: Deno.pid },
    candidates,
    { dryRun },
  );
}

/** One line per outcome that did not go as planned (for release and cleanup). */
export function reportDropFailures(ctx: AppContext, outcomes: readonly DropOutcome[]): boolean {
  let failed = false;
  for (const o of outcomes) {
    if (o.error === undefined) continue;
    failed = true;
    say(ctx, `treehouse: database ${o.record.name} (${o.record.branch}) not dropped: ${o.error}`);
  }
  return failed;
}
