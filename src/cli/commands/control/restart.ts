/** `treehouse restart [BRANCH] [--no-wait]`: the same command again, through its wrapper; prints the URL. */
import { restart as runRestart } from "../../../services/control/runs.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say } from "../../output.ts";
import { type ControlFlags, runJson, runTarget, withControl, withFront } from "./common.ts";

/** Flags of `restart`. */
export interface RestartFlags extends ControlFlags {
  readonly wait: boolean;
}

export default async function restart(
  this: AppContext,
  flags: RestartFlags,
  branchArg?: string,
): Promise<void> {
  const target = runTarget(this, flags, branchArg);
  await withControl(this, async (deps) => {
    const view = withFront(deps, await runRestart(deps, target, flags.wait));
    if (flags.json) return out(this, json(runJson(view)));
    if (flags.wait && view.state === "ready") out(this, `${view.url}\n`);
    else say(this, `treehouse: restarting ${view.branch} (${view.service}): ${view.state}`);
  });
}
