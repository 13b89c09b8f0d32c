/** `treehouse stop [BRANCH] [--all]`: ends a run (or every run) as SIGTERM to its wrapper would. */
import { isLive } from "../../../registry/runs.ts";
import { listRuns, stop as runStop } from "../../../services/control/runs.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say } from "../../output.ts";
import { openRegistryIfExists } from "../../target.ts";
import { type ControlFlags, runJson, runTarget, withControl } from "./common.ts";

/** Flags of `stop`. */
export interface StopFlags extends ControlFlags {
  readonly all?: boolean;
}

export default async function stop(this: AppContext, flags: StopFlags, branchArg?: string): Promise<void> {
  if (flags.all) {
    // No registry: nothing runs, as with a registry and no live run (not "no such run", exit 3).
    const registry = openRegistryIfExists(this);
    if (!registry) return flags.json ? out(this, json([])) : say(this, "No runs to stop");
    registry.close();
  }
  await withControl(this, async (deps) => {
    const targets = flags.all
      ? (await listRuns(deps)).filter(isLive).map((v) => ({
        project_path: v.project_path,
        branch: v.branch,
        service: v.service,
      }))
      : [runTarget(this, flags, branchArg)];
    const stopped = await Promise.all(targets.map((t) => runStop(deps, t)));
    if (flags.json) return out(this, json(flags.all ? stopped.map(runJson) : runJson(stopped[0]!)));
    if (stopped.length === 0) return say(this, "No runs to stop");
    for (const v of stopped) {
      say(
        this,
        v.was_running
          ? `treehouse: stopped ${v.branch} (${v.service})`
          : `treehouse: ${v.branch} (${v.service}) was not running (${v.state})`,
      );
    }
  });
}
