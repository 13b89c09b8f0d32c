/** `treehouse list`'s table: one line per allocation, or one per live run of it (issue 15). */
import { DEFAULT_SERVICE } from "../core/run-table.ts";
import { formatAge } from "../core/duration.ts";
import { renderHostname } from "../core/hostname-template.ts";
import { urlFor } from "../core/child-env.ts";
import type { RunWithAllocation } from "../registry/runs.ts";
import type { Settings } from "../services/settings.ts";
import type { AppContext } from "./context.ts";
import { nameCell, paint, table } from "./output.ts";
import type { AllocationView } from "./target.ts";

/** The rows of `list` as a table, a running front's URL in place of the branch's own. */
export function listTable(
  ctx: AppContext,
  views: readonly AllocationView[],
  runsOf: (v: AllocationView) => RunWithAllocation[],
  fronts: ReadonlyMap<number, { url: string; https_url: string | null }>,
  settings: Settings,
): string {
  const now = Date.now();
  return table(
    ["BRANCH", "IP", "HOSTNAME", "PORT", "URL", "STATUS", "LAST SEEN", "PROJECT"],
    views.flatMap((v) => {
      const line = (branch: string, host: string, port: number | null, url: string, status: string) => [
        nameCell(branch),
        v.ip,
        nameCell(host),
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
            v.running ? paint(ctx.colorStdout, "32", "RUNNING") : "STOPPED",
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
          paint(ctx.colorStdout, "32", "RUNNING") + (r.state === "ready" ? "" : ` (${r.state})`),
        );
      });
    }),
  );
}
