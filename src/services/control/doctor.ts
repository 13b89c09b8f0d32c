/**
 * Doctor's view of runs (issue 15): records that claim a live run whose wrapper is gone (a SIGKILL,
 * a reboot), and the extra names live runs announce legitimately (so their announcers are not taken
 * for stale ones).
 */
import { removeStaleSocket } from "../../adapters/control-socket.ts";
import type { AliveCheck } from "../../registry/allocations.ts";
import type { Registry } from "../../registry/registry.ts";
import { endDeadRuns, isLive, listRuns, pruneRuns } from "../../registry/runs.ts";
import type { Check } from "../doctor/checks.ts";

/** The `runs` check: live records whose wrapper is gone; `fix` ends them and removes their sockets. */
export async function checkRuns(
  registry: Registry,
  isAlive: AliveCheck,
  now: number,
  fix: boolean,
): Promise<Check> {
  const live = listRuns(registry).filter(isLive);
  const dead = live.filter((r) => !isAlive(r.wrapper_pid, r.wrapper_started_at));
  if (dead.length === 0) {
    return {
      id: "runs",
      status: "ok",
      detail: `${live.length} live run${live.length === 1 ? "" : "s"}, none left behind`,
    };
  }
  const detail = dead.map((r) => `${r.branch} (${r.service}): wrapper pid ${r.wrapper_pid} is gone`).join(
    "; ",
  );
  if (fix) {
    for (const r of endDeadRuns(registry, now, isAlive)) if (r.socket) await removeStaleSocket(r.socket);
    return { id: "runs", status: "fail", fixed: true, detail: `marked stopped: ${detail}` };
  }
  return { id: "runs", status: "fail", detail, fix: "treehouse doctor --fix (or treehouse status --all)" };
}

/** The (ip, host) pairs live runs announce under their extra name (`run --name`). */
export function runAnnouncements(
  registry: Registry,
  hostFor: (label: string, projectPath: string) => string,
): { ip: string; host: string }[] {
  return listRuns(registry).filter((r) => isLive(r) && r.name !== null).map((r) => ({
    ip: r.ip,
    host: hostFor(r.name as string, r.project_path),
  }));
}

/**
 * `cleanup`'s part for runs: records whose wrapper is gone are ended (their sockets removed), then
 * ended runs older than `staleAfterMs` and runs of released allocations are removed. Returns how many
 * rows went.
 */
export async function cleanupRuns(
  registry: Registry,
  now: number,
  staleAfterMs: number,
  isAlive: AliveCheck,
  project?: string,
): Promise<number> {
  for (const r of endDeadRuns(registry, now, isAlive, { project_path: project })) {
    if (r.socket) await removeStaleSocket(r.socket);
  }
  return pruneRuns(registry, now - staleAfterMs);
}
