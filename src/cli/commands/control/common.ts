/** What the control commands (status, logs, restart, stop, open) share: the run target and rendering. */
import { loadSettings } from "../../../services/settings.ts";
import { renderHostname } from "../../../core/hostname-template.ts";
import { formatAge } from "../../../core/duration.ts";
import { NotFoundError } from "../../../errors.ts";
import { sendSignal } from "../../../adapters/process/spawn.ts";
import type { Registry } from "../../../registry/registry.ts";
import { liveFronts } from "../../../registry/fronts.ts";
import type { ControlDeps, RunTarget, RunView } from "../../../services/control/runs.ts";
import type { AppContext } from "../../context.ts";
import { type BranchFlags, openRegistryIfExists, resolveTarget } from "../../target.ts";

/** Flags every control command takes. */
export interface ControlFlags extends BranchFlags {
  readonly service?: string;
  readonly json?: boolean;
}

/** The run a command means: `[BRANCH]` or `--branch`, `--project`, `--service`. */
export function runTarget(ctx: AppContext, flags: ControlFlags, branchArg?: string): RunTarget {
  const target = resolveTarget(ctx, flags, branchArg);
  return { project_path: target.project_path, branch: target.branch, service: flags.service };
}

/** The control use cases' collaborators for this command. */
export function controlDeps(ctx: AppContext, registry: Registry): ControlDeps {
  const template = loadSettings(ctx.config, ctx.cwd).hostnameTemplate;
  return {
    registry,
    isAlive: ctx.host.isAlive,
    now: Date.now,
    hostFor: (label, projectPath) => renderHostname(template, label, projectPath),
    signal: (pid, signal) => sendSignal(pid, signal, false),
  };
}

/** Runs `fn` with the registry (never created here: no registry means no runs). */
export async function withControl<T>(ctx: AppContext, fn: (deps: ControlDeps) => Promise<T>): Promise<T> {
  const registry = openRegistryIfExists(ctx);
  if (!registry) {
    throw new NotFoundError("No runs yet: there is no registry", {
      hint: "Start a server with `treehouse run --detach -- CMD`",
    });
  }
  try {
    return await fn(controlDeps(ctx, registry));
  } finally {
    registry.close();
  }
}

/**
 * The view with its HTTPS front's URL (`run --https`) as `url`, the URL `list` and `info` show, and
 * `https_url` (null without a front); a run serving under its own `--name` keeps its own URL.
 */
export function withFront(
  deps: Pick<ControlDeps, "registry" | "isAlive">,
  view: RunView,
): RunView & { https_url: string | null } {
  const front = view.name === null && view.wrapper_pid !== null
    ? liveFronts(deps.registry, deps.isAlive).get(view.allocation_id)
    : undefined;
  // The front belongs to one wrapper: another service of the branch is not behind it.
  if (front === undefined || front.wrapper_pid !== view.wrapper_pid) return { ...view, https_url: null };
  return { ...view, url: front.url, https_url: front.https_url };
}

/** A run as JSON for scripts: the view plus `mode` (detached or terminal). */
export function runJson(view: RunView): Record<string, unknown> {
  return { ...view, mode: view.detached ? "detached" : "terminal" };
}

/** The human block of one run. */
export function renderRun(view: RunView): string {
  const rows: [string, string][] = [
    ["Branch", view.branch],
    ["Service", view.service],
    [
      "State",
      view.reason && (view.state === "stopped" || view.state === "crashed" || view.answers === false)
        ? `${view.state} (${view.reason})`
        : view.state,
    ],
    ["URL", view.url],
    ["PID", view.pid === null ? "-" : `${view.pid} (wrapper ${view.wrapper_pid})`],
    ["Uptime", view.uptime_ms === null ? "-" : formatAge(view.uptime_ms)],
    ["Restarts", String(view.restarts)],
    ["Mode", view.detached ? "detached" : "terminal"],
    [
      "Log",
      view.log ??
        (view.detached
          ? "-"
          : view.wrapper_pid === null
          ? "- (a terminal run's lines went with its wrapper)"
          : "in the wrapper's memory (treehouse logs)"),
    ],
    ["Project", view.project_path],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`).join("\n") + "\n";
}
