/**
 * What the dashboard's buttons do, behind a small interface so the page does not care how a run is
 * controlled. {@link controlActions} uses the same control services as `treehouse stop`, `restart`
 * and `logs` (issue 15); release refuses a branch that still runs.
 */
import { ConflictError, NotFoundError } from "../../errors.ts";
import type { AliveCheck } from "../../registry/allocations.ts";
import { Registry } from "../../registry/registry.ts";
import { isLive, listRuns } from "../../registry/runs.ts";
import { logs, restart, stop } from "../control/runs.ts";
import { releaseBranch } from "../release.ts";
import { controlDeps } from "./source.ts";

/** The run (or branch) an action targets. */
export interface RunTarget {
  project: string;
  branch: string;
  /** The run's `--service`; the branch's only live run when absent. */
  service?: string;
}

/** The dashboard's actions. Each resolves when done, or throws a TreehouseError. */
export interface DashboardActions {
  stop(target: RunTarget): Promise<void>;
  restart(target: RunTarget): Promise<void>;
  /** Releases a stopped branch's allocation (refused while it runs). */
  release(target: RunTarget): Promise<void>;
  /** The run's recent log lines, then each new one, until the run ends or `signal` aborts. */
  logs(target: RunTarget, signal: AbortSignal): AsyncIterable<string>;
}

/** What {@link controlActions} needs. */
export interface ControlActionsOptions {
  path: string;
  hostnameTemplate?: string;
  isAlive: AliveCheck;
  signal?: (pid: number, signal: Deno.Signal) => boolean;
  /** Lines of the log shown when the panel opens. */
  logLines?: number;
}

/** The actions over the control services, each on a registry connection of its own. */
export function controlActions(options: ControlActionsOptions): DashboardActions {
  const withDeps = async <T>(fn: (deps: ReturnType<typeof controlDeps>) => Promise<T>): Promise<T> => {
    const registry = Registry.openIfExists(options.path);
    if (!registry) {
      throw new NotFoundError("No registry yet", { hint: "Start a branch: treehouse run -- CMD" });
    }
    try {
      return await fn(controlDeps(registry, options));
    } finally {
      registry.close();
    }
  };
  const target = (t: RunTarget) => ({ project_path: t.project, branch: t.branch, service: t.service });
  return {
    stop: (t) => withDeps(async (deps) => void await stop(deps, target(t))),
    restart: (t) => withDeps(async (deps) => void await restart(deps, target(t), false)),
    release: (t) =>
      withDeps(async (deps) => {
        // A run of another service can hold the branch while the allocation names none: stop first.
        if (listRuns(deps.registry, { project_path: t.project, branch: t.branch }).some(isLive)) {
          throw new ConflictError(`Branch "${t.branch}" is running`, { hint: "Stop it first" });
        }
        const released = await releaseBranch(
          {
            registry: deps.registry,
            isAlive: options.isAlive,
            wrapperOf: () => undefined, // never asked: the dashboard does not force
            signal: () => {},
            sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
            now: Date.now,
          },
          { project_path: t.project, branch: t.branch },
          { force: false, name: t.branch },
        );
        if (!released) throw new NotFoundError(`No allocation for branch "${t.branch}" in ${t.project}`);
      }),
    logs: (t, signal) =>
      lines((onLine) =>
        withDeps((deps) =>
          logs(deps, target(t), { lines: options.logLines ?? 200, follow: true, onLine, signal })
        ).then(() => {})
      ),
  };
}

/** Turns a callback producer into an async iterable of its lines (ends when the producer does). */
async function* lines(produce: (onLine: (line: string) => void) => Promise<void>): AsyncIterable<string> {
  const queue: string[] = [];
  let wake = () => {};
  let done = false;
  let failure: unknown;
  produce((line) => {
    queue.push(line);
    wake();
  }).catch((error) => (failure = error)).finally(() => {
    done = true;
    wake();
  });
  for (;;) {
    while (queue.length > 0) yield queue.shift() as string;
    if (done) break;
    await new Promise<void>((resolve) => (wake = resolve));
  }
  if (failure !== undefined) throw failure;
}
