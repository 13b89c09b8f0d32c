/** `treehouse list`: every allocation of this project (or all projects) as a table or JSON. */
import { loadSettings } from "../../services/settings.ts";
import { listAllocations } from "../../registry/allocations.ts";
import { detectRepo, resolve } from "../../adapters/git/repo.ts";
import { expandHome } from "../../registry/path.ts";
import type { AppContext } from "../context.ts";
import { json, out, say } from "../output.ts";
import { listTable } from "../list-table.ts";
import { type AllocationView, frontsOf, openRegistryIfExists, viewOf } from "../target.ts";
import { isLive, listRuns, type RunWithAllocation } from "../../registry/runs.ts";

/** Flags of `list`. */
export interface ListFlags {
  readonly json?: boolean;
  readonly project?: string;
  readonly all?: boolean;
  readonly watch?: boolean;
}

export default async function list(this: AppContext, flags: ListFlags): Promise<void> {
  let project: string | undefined;
  if (flags.project !== undefined) {
    const dir = resolve(this.cwd, expandHome(flags.project, this.env));
    project = detectRepo(dir, { env: this.env })?.project_path ?? realpathOr(dir);
  } else if (!flags.all) {
    project = detectRepo(this.cwd, { env: this.env })?.project_path;
  }
  if (flags.watch) {
    return await (await import("./list-watch.ts")).watchList(this, project, flags.json ?? false);
  }
  const registry = openRegistryIfExists(this);
  let rows;
  let fronts;
  let runs: RunWithAllocation[] = [];
  try {
    rows = registry ? listAllocations(registry, project) : [];
    fronts = frontsOf(registry, this.host.isAlive);
    // One line per live run (issue 15): a run whose wrapper is gone counts as stopped.
    runs = registry
      ? listRuns(registry, { project_path: project }).filter((r) =>
        isLive(r) && this.host.isAlive(r.wrapper_pid, r.wrapper_started_at)
      )
      : [];
  } finally {
    registry?.close();
  }
  const settings = loadSettings(this.config, this.cwd);
  const views = rows.map((r) => viewOf(r, settings, this.host.isAlive, fronts.get(r.id)));
  const runsOf = (v: AllocationView) => runs.filter((r) => r.allocation_id === v.id);
  if (flags.json) {
    out(
      this,
      json(views.map((v) => ({
        ...v,
        runs: runsOf(v).map((r) => ({
          service: r.service,
          state: r.state,
          pid: r.pid,
          wrapper_pid: r.wrapper_pid,
          port: r.port,
          name: r.name,
          detached: r.detached,
        })),
      }))),
    );
    return;
  }
  if (views.length === 0) {
    say(
      this,
      project ? `No allocations for ${project} (use --all to see every project)` : "No allocations yet",
    );
    return;
  }
  out(this, listTable(this, views, runsOf, fronts, settings));
}

function realpathOr(dir: string): string {
  try {
    return Deno.realPathSync(dir);
  } catch {
    return dir;
  }
}
