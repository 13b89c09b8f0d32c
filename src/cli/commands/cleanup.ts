/** `treehouse cleanup`: remove allocations and port reservations nobody can use any more. */
import { loadSettings } from "../../services/settings.ts";
import { parseDuration } from "../../core/duration.ts";
import { detectRepo } from "../../adapters/git/repo.ts";
import { isProcessAlive } from "../../adapters/proc/process-info.ts";
import { pruneReservations } from "../../services/maintain.ts";
import { cleanupAllocations } from "../../services/cleanup.ts";
import { cleanupRuns } from "../../services/control/doctor.ts";
import type { AppContext } from "../context.ts";
import { json, out, say, table } from "../output.ts";
import { openRegistryIfExists } from "../target.ts";
import { ExitCode } from "../../errors.ts";
import type { Registry } from "../../registry/registry.ts";
import type { DropOutcome } from "../../services/db/drop.ts";

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
  const settings = loadSettings(this.env, this.cwd);
  const olderThanMs = flags.olderThan === undefined
    ? undefined
    : parseDuration(flags.olderThan, "--older-than");
  const project = flags.allProjects ? undefined : detectRepo(this.cwd, { env: this.env })?.project_path;
  const dryRun = flags.dryRun ?? false;
  const now = Date.now();
  const registry = openRegistryIfExists(this);
  let allocations: ReturnType<typeof cleanupAllocations> = [];
  let reservations: ReturnType<typeof pruneReservations> = [];
  let databases: DropOutcome[] = [];
  let runs = 0;
  if (registry) {
    try {
      allocations = cleanupAllocations(registry, {
        dryRun,
        now,
        staleAfterMs: settings.staleAfterMs,
        olderThanMs,
        project,
        isAlive: isProcessAlive,
      });
      // Reservations unused for cleanup.expire_after (30d) go too; --older-than narrows it for both kinds.
      reservations = pruneReservations(registry, {
        dryRun,
        now,
        olderThanMs: olderThanMs ?? settings.expireAfterMs,
        under: project,
      });
      if (flags.dropDatabases) {
        databases = await dropDatabasesOf(this, registry, allocations, project, dryRun);
      }
      // Runs (issue 15): records of gone wrappers end, and ended runs older than the stale time go.
      if (!dryRun) runs = await cleanupRuns(registry, now, settings.staleAfterMs, isProcessAlive, project);
    } finally {
      registry.close();
    }
  }
  const dbFailed = databases.some((d) => d.error !== undefined);
  if (dbFailed) this.exitCode = ExitCode.database;
  if (flags.json) {
    const extra = flags.dropDatabases ? { databases } : {};
    out(
      this,
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
    ...allocations.map((a) => ["allocation", a.branch, a.ip, a.project_path, a.reason]),
    ...reservations.map((r) => ["port", r.tag ?? "-", String(r.port), r.path, r.reason]),
    ...databases.filter((d) => d.error === undefined).map((d) => [
      "database",
      d.record.branch,
      d.record.name,
      d.record.project_path,
      d.reason,
    ]),
  ];
  if (dbFailed) (await import("./db/common.ts")).reportDropFailures(this, databases);
  if (rows.length > 0) out(this, table(["KIND", "NAME", "IP/PORT", "PROJECT", "REASON"], rows));
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const counts = [
    allocations.length > 0 ? plural(allocations.length, "allocation") : "",
    reservations.length > 0 ? plural(reservations.length, "port reservation") : "",
    databases.length > 0 ? plural(databases.filter((d) => d.error === undefined).length, "database") : "",
  ].filter(Boolean).join(" and ");
  if (rows.length === 0) {
    say(
      this,
      `Nothing to clean up ${
        project ? `in ${project} (--all-projects for every project)` : "in any project"
      }`,
    );
    return;
  }
  const scope = project ? `from ${project}` : "across all projects";
  if (dryRun) say(this, `Would remove ${counts} ${scope} (dry run: nothing changed)`);
  else say(this, `Removed ${counts} ${scope}`);
}

/**
 * `--drop-databases`: the recorded databases of the allocations cleanup removed, and of branches that
 * are gone and have no allocation left (loaded only with the flag; nothing is dropped in a dry run).
 */
async function dropDatabasesOf(
  ctx: AppContext,
  registry: Registry,
  removed: readonly { project_path: string; branch: string; reason: string }[],
  project: string | undefined,
  dryRun: boolean,
): Promise<DropOutcome[]> {
  const [{ dropForBranches }, { databasesOfBranches, orphanDatabases }, { repoFacts }] = await Promise.all([
    import("./db/common.ts"),
    import("../../services/db/drop.ts"),
    import("../../adapters/git/facts.ts"),
  ]);
  const seen = new Set<number>();
  const candidates = [...databasesOfBranches(registry, removed), ...orphanDatabases(registry, repoFacts)]
    .filter((c) => (project === undefined || c.record.project_path === project) && !seen.has(c.record.id))
    .filter((c) => (seen.add(c.record.id), true));
  return await dropForBranches(ctx, registry, candidates, dryRun);
}
