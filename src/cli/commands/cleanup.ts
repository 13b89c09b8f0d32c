/** `treehouse cleanup`: remove allocations and port reservations nobody can use any more. */
import { loadSettings } from "../../services/settings.ts";
import { parseDuration } from "../../core/duration.ts";
import { detectRepo } from "../../adapters/git/repo.ts";
import { cleanupAll, type CleanupReport, dropDatabasesOf } from "../../services/cleanup.ts";
import type { AppContext } from "../context.ts";
import { json, nameCell, out, say, table } from "../output.ts";
import { openRegistryIfExists } from "../target.ts";
import { ExitCode } from "../../errors.ts";

/** Flags of `cleanup`. */
export interface CleanupFlags {
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly olderThan?: string;
  readonly allProjects?: boolean;
  /** Also drop the databases treehouse created for the branches removed (and for branches long gone). */
  readonly dropDatabases?: boolean;
}

export default async function cleanup(this: AppContext, flags: CleanupFlags): Promise<void> {
  const settings = loadSettings(this.config, this.cwd);
  const olderThanMs = flags.olderThan === undefined
    ? undefined
    : parseDuration(flags.olderThan, "--older-than");
  const project = flags.allProjects ? undefined : detectRepo(this.cwd, { env: this.env })?.project_path;
  const dryRun = flags.dryRun ?? false;
  const registry = openRegistryIfExists(this);
  let report: CleanupReport = { allocations: [], reservations: [], databases: [], runs: 0 };
  if (registry) {
    try {
      report = await cleanupAll(registry, {
        dryRun,
        now: Date.now(),
        staleAfterMs: settings.staleAfterMs,
        expireAfterMs: settings.expireAfterMs,
        olderThanMs,
        project,
        isAlive: this.host.isAlive,
        dropDatabases: flags.dropDatabases
          ? (removed) => dropDatabasesOf(registry, settings, this.env, removed, project, dryRun)
          : undefined,
      });
    } finally {
      registry.close();
    }
  }
  await render(this, flags, report, project, dryRun);
}

async function render(
  ctx: AppContext,
  flags: CleanupFlags,
  { allocations, reservations, databases, runs }: CleanupReport,
  project: string | undefined,
  dryRun: boolean,
): Promise<void> {
  const dbFailed = databases.some((d) => d.error !== undefined);
  if (dbFailed) ctx.exitCode = ExitCode.database;
  if (flags.json) {
    const extra = flags.dropDatabases ? { databases } : {};
    out(
      ctx,
      json({
        dry_run: dryRun,
        project: project ?? null,
        allocations,
        reservations,
        runs_removed: runs,
        ...extra,
      }),
    );
    return;
  }
  const rows = [
    ...allocations.map((a) => ["allocation", nameCell(a.branch), a.ip, a.project_path, a.reason]),
    ...reservations.map((r) => ["port", r.tag ?? "-", String(r.port), r.path, r.reason]),
    ...databases.filter((d) => d.error === undefined).map((d) => [
      "database",
      nameCell(d.record.branch),
      d.record.name,
      d.record.project_path,
      d.reason,
    ]),
  ];
  if (dbFailed) (await import("../db-render.ts")).reportDropFailures(ctx, databases);
  if (rows.length > 0) out(ctx, table(["KIND", "NAME", "IP/PORT/DATABASE", "PROJECT", "REASON"], rows));
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const counts = [
    allocations.length > 0 ? plural(allocations.length, "allocation") : "",
    reservations.length > 0 ? plural(reservations.length, "port reservation") : "",
    databases.length > 0 ? plural(databases.filter((d) => d.error === undefined).length, "database") : "",
  ].filter(Boolean).join(" and ");
  if (rows.length === 0) {
    say(
      ctx,
      `Nothing to clean up ${
        project ? `in ${project} (--all-projects for every project)` : "in any project"
      }`,
    );
    return;
  }
  const scope = project ? `from ${project}` : "across all projects";
  if (dryRun) say(ctx, `Would remove ${counts} ${scope} (dry run: nothing changed)`);
  else say(ctx, `Removed ${counts} ${scope}`);
}
