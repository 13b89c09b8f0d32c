/** `treehouse cleanup`: remove allocations and port reservations nobody can use any more. */
import { loadSettings } from "../../services/settings.ts";
import { parseDuration } from "../../core/duration.ts";
import { detectRepo } from "../../adapters/git/repo.ts";
import { isProcessAlive } from "../../adapters/proc/process-info.ts";
import { pruneReservations } from "../../services/maintain.ts";
import { cleanupAllocations } from "../../services/cleanup.ts";
import type { AppContext } from "../context.ts";
import { json, out, say, table } from "../output.ts";
import { openRegistryIfExists } from "../target.ts";

/** Flags of `cleanup`. */
export interface CleanupFlags {
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly olderThan?: string;
  readonly allProjects?: boolean;
}

export default function cleanup(this: AppContext, flags: CleanupFlags): void {
  const settings = loadSettings(this.env, this.cwd);
  const olderThanMs = flags.olderThan === undefined
    ? undefined
    : parseDuration(flags.olderThan, "--older-than");
  const project = flags.allProjects ? undefined : detectRepo(this.cwd)?.project_path;
  const dryRun = flags.dryRun ?? false;
  const now = Date.now();
  const registry = openRegistryIfExists(this);
  let allocations: ReturnType<typeof cleanupAllocations> = [];
  let reservations: ReturnType<typeof pruneReservations> = [];
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
      reservations = pruneReservations(registry, { dryRun, now, olderThanMs, under: project });
    } finally {
      registry.close();
    }
  }
  if (flags.json) {
    out(this, json({ dry_run: dryRun, project: project ?? null, allocations, reservations }));
    return;
  }
  const rows = [
    ...allocations.map((a) => ["allocation", a.branch, a.ip, a.project_path, a.reason]),
    ...reservations.map((r) => ["port", r.tag ?? "-", String(r.port), r.path, r.reason]),
  ];
  if (rows.length > 0) out(this, table(["KIND", "NAME", "IP/PORT", "PROJECT", "REASON"], rows));
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const counts = [
    allocations.length > 0 ? plural(allocations.length, "allocation") : "",
    reservations.length > 0 ? plural(reservations.length, "port reservation") : "",
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
