/**
 * The run's record in the registry, as a collaborator: the child's pid and start time after every
 * spawn, other runs' stale records cleaned a loop turn after the first spawn, a heartbeat while it runs,
 * and the process cleared when the run ends. Its failures are warnings: the server matters more.
 */
import { recordProcess } from "../../registry/allocations.ts";
import { cleanupStale, clearProcess, heartbeat } from "../../registry/liveness.ts";
import type { RunCollaborator, RunSession } from "./types.ts";

/** The liveness collaborator of one run. */
export function livenessCollaborator(): RunCollaborator {
  let childPid: number | undefined;
  let beat: ReturnType<typeof setInterval> | undefined;
  let later: ReturnType<typeof setTimeout> | undefined;
  return {
    name: "liveness",
    spawned(session: RunSession, pid: number) {
      const { registry, output, process } = session.deps;
      const { allocation, request } = session;
      const first = childPid === undefined;
      childPid = pid;
      try {
        recordProcess(registry, allocation.id, {
          pid,
          pid_started_at: process.startTime(pid) ?? session.deps.now(),
          port: request.port,
          now: session.deps.now(),
        });
      } catch (error) {
        // The server matters more than the record: keep it running, say what is missing.
        output.warn(`Could not record the process (list will show STOPPED): ${(error as Error).message}`);
      }
      if (!first) return;
      // The rest waits a turn of the event loop: right after the spawn the loop carries the HTTPS
      // front's held connections, and other runs' stale records (their liveness may take a `ps` each on
      // macOS) are not urgent. The pid is recorded already.
      later = setTimeout(() => {
        later = undefined;
        try {
          cleanupStale(registry, session.control.startedAt, request.settings.staleAfterMs, process.isAlive);
        } catch (error) {
          output.warn(`Could not clean up stale allocations: ${(error as Error).message}`);
        }
        let heartbeatWarned = false;
        let goneWarned = false;
        beat = setInterval(() => {
          try {
            if (heartbeat(registry, allocation.id, session.deps.now()) === "gone" && !goneWarned) {
              goneWarned = true;
              output.warn(
                `The allocation of ${allocation.branch} was released while its server runs: ${allocation.ip} ` +
                  "may go to another branch. Restart `treehouse run` to take it back",
              );
            }
          } catch (error) {
            if (!heartbeatWarned) output.warn(`Heartbeat failed (will retry): ${(error as Error).message}`);
            heartbeatWarned = true;
          }
        }, request.settings.heartbeatMs);
      }, 0);
    },
    stopping(session: RunSession) {
      if (later !== undefined) clearTimeout(later);
      later = undefined;
      if (beat !== undefined) clearInterval(beat);
      beat = undefined;
      if (childPid === undefined) return;
      const pid = childPid;
      childPid = undefined;
      try {
        clearProcess(session.deps.registry, session.allocation.id, pid, session.deps.now());
      } catch (error) {
        session.deps.output.warn(`Could not clear the process record: ${(error as Error).message}`);
      }
    },
  };
}
