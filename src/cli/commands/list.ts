/** `treehouse list`: every allocation of this project (or all projects) as a table or JSON. */
import { DEFAULT_SERVICE } from "../../core/run-table.ts";
import { loadSettings } from "../../services/settings.ts";
import { formatAge } from "../../core/duration.ts";
import { listAllocations } from "../../registry/allocations.ts";
import { detectRepo, resolve } from "../../adapters/git/repo.ts";
import { expandHome } from "../../registry/path.ts";
import type { AppContext } from "../context.ts";
import { json, out, paint, say, table } from "../output.ts";
import { type AllocationView, frontsOf, openRegistryIfExists, viewOf } from "../target.ts";
import { isLive, listRuns, type RunWithAllocation } from "../../registry/runs.ts";
import { isProcessAlive } from "../../adapters/proc/process-info.ts";
import { renderHostname } from "../../core/hostname-template.ts";
import { urlFor } from "../../core/child-env.ts";

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
    fronts = frontsOf(registry);
    // One line per live run (issue 15): a run whose wrapper is gone counts as stopped.
    runs = registry
      ? listRuns(registry, { project_path: project }).filter((r) =>
        isLive(r) && isProcessAlive(r.wrapper_pid, r.wrapper_started_at)
      )
      : [];
  } finally {
    registry?.close();
  }
  const settings = loadSettings(this.config, this.cwd);
  const views = rows.map((r) => viewOf(r, settings, fronts.get(r.id)));
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
  const now = Date.now();
  out(
    this,
    table(
      ["BRANCH", "IP", "HOSTNAME", "PORT", "URL", "STATUS", "LAST SEEN", "PROJECT"],
      views.flatMap((v) => {
        const line = (branch: string, host: string, port: number | null, url: string, status: string) => [
          branch,
          v.ip,
          host,
          port === null ? "-" : String(port),
          url,
          status,
          `${formatAge(now - v.last_seen_at)} ago`,
          v.project_path,
        ];
        const live = runsOf(v);
        if (live.length === 0) {
          return [
            line(
              v.branch,
              v.host,
              v.port,
              v.url,
              v.running ? paint(this.colorStdout, "32", "RUNNING") : "STOPPED",
            ),
          ];
        }
        return live.map((r) => {
          const host = r.name === null
            ? v.host
            : renderHostname(settings.hostnameTemplate, r.name, v.project_path);
          // A running front (the https / port-less URL) serves the branch's default service.
          const front = r.service === DEFAULT_SERVICE ? fronts.get(v.id) : undefined;
          const url = front?.url ?? urlFor(host, r.port);
          return line(
            r.service === DEFAULT_SERVICE ? v.branch : `${v.branch} (${r.service})`,
            host,
            r.port,
            url,
            paint(this.colorStdout, "32", "RUNNING") + (r.state === "ready" ? "" : ` (${r.state})`),
          );
        });
      }),
    ),
  );
}

function realpathOr(dir: string): string {
  try {
    return Deno.realPathSync(dir);
  } catch {
    return dir;
  }
}
