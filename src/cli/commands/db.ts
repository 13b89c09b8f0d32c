/**
 * `treehouse db url|create|drop|reset|list`: the branch's PostgreSQL database. Each command is flags →
 * one db service call → output; the service (src/services/db) holds the rules.
 */
import { formatBytes } from "../../core/database-url.ts";
import { loadSettings, type Settings } from "../../services/settings.ts";
import { UsageError } from "../../errors.ts";
import { isProcessAlive } from "../../adapters/proc/process-info.ts";
import { machineLabels } from "../../adapters/machine-name.ts";
import { getOrAllocate } from "../../registry/allocations.ts";
import { listDatabases } from "../../registry/databases.ts";
import type { Registry } from "../../registry/registry.ts";
import { postgresEngine } from "../../adapters/postgres/client.ts";
import { branchDatabase, chooseBase } from "../../services/db/base.ts";
import { createDatabase, type CreateResult, type DbDeps, type DbEvent } from "../../services/db/create.ts";
import {
  type DropCandidate,
  dropCandidates,
  dropDatabase,
  type DropOutcome,
  resetDatabase,
} from "../../services/db/drop.ts";
import { listBranchDatabases } from "../../services/db/list.ts";
import { branchUrl, maskedBranchUrl, type ResolvedServer, resolveServer } from "../../services/db/server.ts";
import type { AppContext } from "../context.ts";
import { formatTime, json, out, say, table, warn } from "../output.ts";
import {
  type AppFlags,
  type BranchFlags,
  openRegistry,
  openRegistryIfExists,
  resolveTarget,
} from "../target.ts";

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

interface Prepared {
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
function prepare(
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

function deps(p: Prepared, onEvent?: (e: DbEvent) => void): DbDeps {
  return {
    registry: p.registry,
    engine: postgresEngine,
    resolved: p.resolved,
    now: Date.now,
    pid: Deno.pid,
    onEvent,
  };
}

/** Flags of `db url`. */
export interface UrlFlags extends BranchFlags, AppFlags {
  readonly json?: boolean;
}

/** `db url`: the branch's connection URL (the only output with the real password). */
export function url(this: AppContext, flags: UrlFlags, branchArg?: string): void {
  const p = prepare(this, flags, branchArg);
  try {
    const created = listDatabases(p.registry, { server: p.resolved.key }).find((r) => r.name === p.name);
    if (flags.json) {
      out(
        this,
        json({
          url: branchUrl(p.resolved, p.name),
          database: p.name,
          server: p.resolved.label,
          source: p.resolved.source,
          created: created?.state === "ready",
        }),
      );
    } else out(this, `${branchUrl(p.resolved, p.name)}\n`);
  } finally {
    p.registry.close();
  }
}

/** Flags of `db create` and `db reset`. */
export interface BaseFlags extends BranchFlags, AppFlags {
  readonly from?: string;
  readonly fromDatabase?: string;
  readonly empty?: boolean;
  readonly terminate?: boolean;
  readonly json?: boolean;
}

/** Flags of `db create`. */
export interface CreateFlags extends BaseFlags {
  readonly adopt?: boolean;
}

/** Flags of `db reset`. */
export interface ResetFlags extends BaseFlags {
  readonly yes?: boolean;
}

function baseOf(p: Prepared, flags: BaseFlags): { base?: string; note?: string } {
  const given = [flags.from !== undefined, flags.fromDatabase !== undefined, flags.empty === true].filter(
    Boolean,
  );
  if (given.length > 1) {
    throw new UsageError("--from, --from-database and --empty exclude each other", {
      hint: "Choose one base: a branch (--from), any database (--from-database) or none (--empty)",
    });
  }
  if (flags.empty) return {};
  const base = chooseBase(p.registry, p.target, {
    fromBranch: flags.from,
    fromDatabase: flags.fromDatabase,
    template: p.settings.database.template,
    from: p.settings.database.from,
  });
  // The default branch itself has nothing to copy from by default: it starts empty.
  if (base.name === p.name && flags.from === undefined && flags.fromDatabase === undefined) {
    return { note: `${p.target.branch} is the base branch (${base.label}): created empty` };
  }
  return { base: base.name };
}

function report(ctx: AppContext, p: Prepared, result: CreateResult, flags: BaseFlags, note?: string): void {
  const r = result.record;
  if (flags.json) {
    out(ctx, json({ status: result.status, ...r, url: maskedBranchUrl(p.resolved, r.name) }));
    return;
  }
  if (note && result.status === "created") say(ctx, `treehouse: ${note}`);
  const how = r.method === "template"
    ? `copied from ${r.source} (CREATE DATABASE … TEMPLATE)`
    : r.method === "dump"
    ? `copied from ${r.source} (pg_dump | pg_restore)`
    : r.method === "adopted"
    ? "adopted as it was"
    : "empty";
  const text = result.status === "exists"
    ? `Database ${r.name} already exists (created by treehouse for ${r.branch})`
    : result.status === "adopted"
    ? `Adopted ${r.name} as ${r.branch}'s database (not changed)`
    : `Created ${r.name}: ${how}`;
  say(ctx, `${text} on ${p.resolved.label}`);
}

/** `db create`. */
export async function create(this: AppContext, flags: CreateFlags, branchArg?: string): Promise<void> {
  const p = prepare(this, flags, branchArg);
  const printer = eventPrinter(this);
  try {
    const { base, note } = flags.adopt ? {} : baseOf(p, flags);
    const result = await createDatabase(deps(p, printer.onEvent), {
      ...p.target,
      name: p.name,
      base,
      terminate: flags.terminate,
      adopt: flags.adopt,
    });
    printer.done();
    report(this, p, result, flags, note);
  } finally {
    printer.done();
    p.registry.close();
  }
}

function needYes(flags: { yes?: boolean }, what: string): void {
  if (!flags.yes) {
    throw new UsageError(`${what}: pass --yes to confirm`, { hint: "Dropping a database deletes its data" });
  }
}

/** Flags of `db drop`. */
export interface DropFlags extends BranchFlags, AppFlags {
  readonly yes?: boolean;
  readonly terminate?: boolean;
  readonly json?: boolean;
}

/** `db drop`. */
export async function drop(this: AppContext, flags: DropFlags, branchArg?: string): Promise<void> {
  const p = prepare(this, flags, branchArg, false);
  try {
    needYes(flags, `This drops database ${p.name} on ${p.resolved.label}`);
    const record = await dropDatabase(deps(p), {
      ...p.target,
      name: p.name,
      terminate: flags.terminate,
    });
    if (flags.json) out(this, json({ status: "dropped", ...record }));
    else say(this, `Dropped ${record.name} (${record.branch}) on ${p.resolved.label}`);
  } finally {
    p.registry.close();
  }
}

/** `db reset`: drop (when there is one) and create again. */
export async function reset(this: AppContext, flags: ResetFlags, branchArg?: string): Promise<void> {
  const p = prepare(this, flags, branchArg);
  const printer = eventPrinter(this);
  try {
    needYes(flags, `This drops and re-creates database ${p.name} on ${p.resolved.label}`);
    const { base, note } = baseOf(p, flags);
    const result = await resetDatabase(deps(p, printer.onEvent), {
      ...p.target,
      name: p.name,
      base,
      terminate: flags.terminate,
    });
    printer.done();
    report(this, p, result, flags, note);
  } finally {
    printer.done();
    p.registry.close();
  }
}

/** Flags of `db list`. */
export interface ListFlags {
  readonly json?: boolean;
  readonly all?: boolean;
  readonly project?: string;
}

/** `db list`. */
export async function list(this: AppContext, flags: ListFlags): Promise<void> {
  const settings = loadSettings(this.env, this.cwd);
  const resolved = serverOf(this, settings);
  let project: string | undefined;
  if (!flags.all) {
    try {
      project = resolveTarget(this, { project: flags.project }).project_path;
    } catch (error) {
      if (flags.project !== undefined) throw error; // outside a repository: every project's
    }
  }
  const registry = openRegistryIfExists(this);
  if (!registry) {
    if (flags.json) out(this, json([]));
    else say(this, "No databases created by treehouse yet");
    return;
  }
  try {
    const { databases, serverProblem } = await listBranchDatabases(
      { registry, engine: postgresEngine, resolved },
      { project_path: project },
    );
    if (serverProblem) warn(this, `${serverProblem} (sizes not shown)`);
    if (flags.json) {
      out(this, json(databases));
      return;
    }
    if (databases.length === 0) {
      say(
        this,
        `No databases created by treehouse${project ? ` in ${project} (--all for every project)` : ""}`,
      );
      return;
    }
    const rows = databases.map((d) => [
      d.branch,
      d.name,
      d.size === null ? (d.exists === false ? "missing" : "?") : formatBytes(d.size),
      d.state === "creating" ? "unfinished" : d.source ?? (d.method === "adopted" ? "(adopted)" : "(empty)"),
      formatTime(d.created_at),
      d.branch_exists === null ? "?" : d.branch_exists ? "yes" : "no",
      d.server === resolved.key ? d.project_path : `${d.project_path} (${d.server})`,
    ]);
    out(this, table(["BRANCH", "DATABASE", "SIZE", "FROM", "CREATED", "BRANCH EXISTS", "PROJECT"], rows));
  } finally {
    registry.close();
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
