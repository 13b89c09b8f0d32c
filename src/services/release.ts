/**
 * Releasing a branch's allocation. A released IP goes to the next new branch, so an allocation whose
 * server still runs is never released as it is: that server would go on listening on (and announcing)
 * an IP someone else is given. `force` stops it first: the `treehouse run` wrapper when the server is
 * its child (it forwards the signal, ends the announcer and its leftovers), else the server itself.
 */
import { ConflictError } from "../errors.ts";
import {
  type Allocation,
  findAllocation,
  InvalidAllocationRowError,
  releaseAllocation,
} from "../registry/allocations.ts";
import type { Registry } from "../registry/registry.ts";

/** What releasing needs from the machine. */
export interface ReleaseDeps {
  registry: Registry;
  isAlive(pid: number, startedAt: number | null): boolean;
  /** The `treehouse run` wrapper whose child `pid` is, if any. */
  wrapperOf(pid: number): number | undefined;
  signal(pid: number, signal: Deno.Signal): void;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** How long `force` waits for a stopped server before SIGKILL, and after it. */
export const STOP_WAIT_MS = 10_000;

/** The outcome: the removed allocation, and the pid stopped first (if any). */
export interface Released {
  allocation: Allocation;
  stopped?: number;
}

/** Releases (project, branch); undefined when there is no allocation. Throws ConflictError while it runs. */
export async function releaseBranch(
  deps: ReleaseDeps,
  target: { project_path: string; branch: string },
  options: { force: boolean; name: string },
): Promise<Released | undefined> {
  let found: Allocation | undefined;
  try {
    found = findAllocation(deps.registry, target.project_path, target.branch);
    if (!found) return undefined;
  } catch (error) {
    // A row that fails validation can still be released (its process cannot be known: nothing to stop).
    if (!(error instanceof InvalidAllocationRowError)) throw error;
  }
  let stopped: number | undefined;
  if (found && found.pid !== null && deps.isAlive(found.pid, found.pid_started_at)) {
    const pid = found.pid;
    if (!options.force) {
      throw new ConflictError(
        `${target.branch}'s server is running (pid ${pid}) on ${found.ip}: releasing it would give that IP ` +
          "to the next new branch while the server still listens on it",
        {
          hint: `Stop it first (\`treehouse stop ${options.name}\`, or kill ${pid}), or ` +
            `\`treehouse release ${options.name} --force\` to stop it and release`,
        },
      );
    }
    await stop(deps, pid, found.pid_started_at);
    stopped = pid;
  }
  const allocation = releaseAllocation(deps.registry, target.project_path, target.branch);
  return allocation ? { allocation, stopped } : undefined;
}

async function stop(deps: ReleaseDeps, pid: number, startedAt: number | null): Promise<void> {
  const wrapper = deps.wrapperOf(pid);
  deps.signal(wrapper ?? pid, "SIGTERM");
  for (const [signal, wait] of [["SIGKILL", STOP_WAIT_MS], [undefined, STOP_WAIT_MS]] as const) {
    const deadline = deps.now() + wait;
    while (deps.isAlive(pid, startedAt) && deps.now() < deadline) await deps.sleep(50);
    if (!deps.isAlive(pid, startedAt)) return;
    if (signal) {
      if (wrapper !== undefined) deps.signal(wrapper, signal);
      deps.signal(pid, signal);
    }
  }
  throw new ConflictError(`The server (pid ${pid}) did not stop`, {
    hint: `Stop it by hand: kill -9 ${pid}`,
  });
}
