/**
 * `treehouse status [BRANCH] [--json] [--wait] [--timeout S] [--all]`: a run's state, pid, URL,
 * restarts and log; `--wait` blocks until it is ready (exit 0), ends (exit 20) or times out (exit 11; 20 when
 * only an older ended run is there, 3 when there is none, 21 when its wrapper does not answer).
 */
import { NotAnsweringError, NotFoundError, RunEndedError, TimeoutError } from "../../../errors.ts";
import {
  listRuns,
  startAgainCommand,
  status as runStatus,
  waitReady,
} from "../../../services/control/runs.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say, table } from "../../output.ts";
import { openRegistryIfExists } from "../../target.ts";
import { formatAge } from "../../../core/duration.ts";
import { type ControlFlags, renderRun, runJson, runTarget, withControl, withFront } from "./common.ts";

/** Flags of `status`. */
export interface StatusFlags extends ControlFlags {
  readonly wait?: boolean;
  readonly timeout?: number;
  readonly all?: boolean;
}

/** Default seconds `status --wait` waits. */
export const DEFAULT_WAIT_S = 60;

export default async function status(
  this: AppContext,
  flags: StatusFlags,
  branchArg?: string,
): Promise<void> {
  if (flags.all) {
    // No registry: no runs. Any other failure (an unusable registry) is reported, not hidden.
    // Live runs' wrappers are asked (in parallel): one that does not answer says so.
    const views = await withControl(
      this,
      async (deps) => (await listRuns(deps, {}, true)).map((v) => withFront(deps, v)),
    ).catch((error) => {
      if (error instanceof NotFoundError) return [];
      throw error;
    });
    if (flags.json) return out(this, json(views.map(runJson)));
    if (views.length === 0) return say(this, "No runs");
    out(
      this,
      table(
        ["BRANCH", "SERVICE", "STATE", "PID", "URL", "UPTIME", "RESTARTS", "MODE", "PROJECT"],
        views.map((v) => [
          v.branch,
          v.service,
          v.answers === false ? `${v.state} (not answering)` : v.state,
          v.pid === null ? "-" : String(v.pid),
          v.url,
          v.uptime_ms === null ? "-" : formatAge(v.uptime_ms),
          String(v.restarts),
          v.detached ? "detached" : "terminal",
          v.project_path,
        ]),
      ),
    );
    return;
  }
  const target = runTarget(this, flags, branchArg);
  const seconds = flags.timeout ?? DEFAULT_WAIT_S;
  const deadline = Date.now() + seconds * 1000;
  if (flags.wait) await registryToAppear(this, deadline, seconds);
  await withControl(this, async (deps) => {
    if (!flags.wait) {
      const view = withFront(deps, await runStatus(deps, target));
      out(this, flags.json ? json(runJson(view)) : renderRun(view));
      return;
    }
    const waited = await waitReady(
      deps,
      target,
      Math.max(0, deadline - Date.now()),
      undefined,
      undefined,
      (why) => say(this, `treehouse: ${why}: waiting up to ${seconds}s for a run to start`),
    );
    const { outcome } = waited;
    const view = withFront(deps, waited.view);
    // Without --json stdout is the URL or nothing (`url=$(treehouse status --wait)`); the run's state
    // goes with the error, on stderr.
    if (flags.json) out(this, json(runJson(view)));
    else if (outcome === "ready") out(this, `${view.url}\n`);
    else say(this, renderRun(view).trimEnd());
    if (outcome === "timeout") {
      throw new TimeoutError(
        `The ${view.service} run of ${view.branch} was not ready after ${seconds}s (${view.state})`,
        {
          hint: "Read its output with `treehouse logs`, or wait longer with --timeout SECONDS",
        },
      );
    }
    if (outcome === "not-answering") {
      throw new NotAnsweringError(
        `The ${view.service} run of ${view.branch} was not confirmed ready after ${seconds}s: ${view.reason}`,
        {
          hint:
            `It may be stopped (\`kill -CONT ${view.wrapper_pid}\`) or wedged (\`kill -9 ${view.wrapper_pid}\`)`,
        },
      );
    }
    if (outcome === "ended") {
      const none = waited.before ? ` (no new run started within ${seconds}s)` : "";
      throw new RunEndedError(
        `The ${view.service} run of ${view.branch} is ${view.state}${
          view.reason ? `: ${view.reason}` : ""
        }${none}`,
        {
          hint: `Read its last output with \`treehouse logs\`; start it again with \`${
            startAgainCommand(view)
          }\``,
        },
      );
    }
  });
}

/** `--wait` on a machine where nothing ran yet: the first run creates the registry (until `deadline`). */
async function registryToAppear(ctx: AppContext, deadline: number, seconds: number): Promise<void> {
  let told = false;
  for (;;) {
    const registry = openRegistryIfExists(ctx);
    if (registry) return registry.close();
    if (Date.now() >= deadline) return; // withControl says there is none
    if (!told) say(ctx, `treehouse: No runs yet: waiting up to ${seconds}s for a run to start`);
    told = true;
    await new Promise((r) => setTimeout(r, 100));
  }
}
