/** `treehouse info`: show a branch's allocation without creating one. */
import { loadSettings } from "../../services/settings.ts";
import { findAllocation } from "../../registry/allocations.ts";
import type { AppContext } from "../context.ts";
import { branchVariables } from "../../services/run/project-run.ts";
import { formatTime, json, out, shellQuote } from "../output.ts";
import {
  type AllocationView,
  type BranchFlags,
  frontsOf,
  notAllocated,
  openRegistryIfExists,
  resolveTarget,
  viewOf,
} from "../target.ts";

/** The human block shown by `info` and `allocate`. */
export function renderInfo(v: AllocationView): string {
  const rows: [string, string][] = [
    ["Branch", v.branch],
    ["Project", v.project_path],
    ["IP", v.ip],
    ["Hostname", v.host],
    ["URL", v.url],
    ...(v.https_url && v.https_url !== v.url ? [["HTTPS", v.https_url] as [string, string]] : []),
    ["Database", v.db_name],
    ["Port", v.port === null ? "-" : String(v.port)],
    ["Status", v.running ? `RUNNING (pid ${v.pid})` : "STOPPED"],
    ["Allocated", formatTime(v.allocated_at)],
    ["Last seen", formatTime(v.last_seen_at)],
  ];
  return rows.map(([k, val]) => `${`${k}:`.padEnd(11)}${val}`).join("\n") + "\n";
}

export default async function info(
  this: AppContext,
  flags: BranchFlags & { json?: boolean },
  branchArg?: string,
): Promise<void> {
  const target = resolveTarget(this, flags, branchArg);
  const registry = openRegistryIfExists(this);
  try {
    const allocation = registry && findAllocation(registry, target.project_path, target.branch);
    if (!allocation) {
      const named = branchArg ?? flags.branch;
      throw notAllocated(
        target,
        named === undefined
          ? "Create one with `treehouse ip` or `treehouse run -- <command>`"
          : `See what is allocated with \`treehouse list\`; create it with \`treehouse allocate ${
            ["--branch=" + named, ...(flags.project ? ["--project", flags.project] : [])].map(word).join(" ")
          }\``,
      );
    }
    const settings = loadSettings(this.config, this.cwd);
    const view = viewOf(
      allocation,
      settings,
      this.host.isAlive,
      frontsOf(registry, this.host.isAlive).get(allocation.id),
    );
    // What `run` would pass: TREEHOUSE_PORT and the group's existing reservations (none are made here).
    const { vars } = await branchVariables(registry, allocation, settings, false, this.host.probe);
    out(
      this,
      flags.json
        ? json({ ...view, env: vars })
        : `${renderInfo(view)}${"Variables:".padEnd(11)}${
          Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(" ")
        }\n`,
    );
  } finally {
    registry?.close();
  }
}

function word(w: string): string {
  return /^[\w./:=@+-]+$/.test(w) ? w : shellQuote(w);
}
