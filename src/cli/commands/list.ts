/** `treehouse list`: every allocation of this project (or all projects) as a table or JSON. */
import { loadSettings } from "../../services/settings.ts";
import { formatAge } from "../../core/duration.ts";
import { listAllocations } from "../../registry/allocations.ts";
import { detectRepo, resolve } from "../../adapters/git/repo.ts";
import { expandHome } from "../../registry/path.ts";
import type { AppContext } from "../context.ts";
import { json, out, paint, say, table } from "../output.ts";
import { frontsOf, openRegistryIfExists, viewOf } from "../target.ts";

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
    project = detectRepo(dir)?.project_path ?? realpathOr(dir);
  } else if (!flags.all) {
    project = detectRepo(this.cwd)?.project_path;
  }
  if (flags.watch) return await (await import("./list-watch.ts")).watchList(this, project);
  const registry = openRegistryIfExists(this);
  let rows;
  let fronts;
  try {
    rows = registry ? listAllocations(registry, project) : [];
    fronts = frontsOf(registry);
  } finally {
    registry?.close();
  }
  const settings = loadSettings(this.env, this.cwd);
  const views = rows.map((r) => viewOf(r, settings, fronts.get(r.id)));
  if (flags.json) {
    out(this, json(views));
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
      ["BRANCH", "IP", "HOSTNAME", "PORT", "STATUS", "LAST SEEN", "PROJECT"],
      views.map((v) => [
        v.branch,
        v.ip,
        v.host,
        v.port === null ? "-" : String(v.port),
        v.running ? paint(this.colorStdout, "32", "RUNNING") : "STOPPED",
        `${formatAge(now - v.last_seen_at)} ago`,
        v.project_path,
      ]),
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
