/**
 * `treehouse run --detach` (issue 15): starts the same supervised run in the background (its own
 * session, no terminal, its output to a log file) and waits until it is ready. If the wrapper exits
 * first, or the ready timeout passes, the caller gets the log's last lines, and nothing is left
 * running.
 */
import { logSize, tailLog } from "../../adapters/log-file.ts";
import type { ExitInfo } from "../../adapters/process/spawn.ts";
import type { AliveCheck } from "../../registry/allocations.ts";
import type { Registry } from "../../registry/registry.ts";
import { listRuns, noteEndReason, type RunWithAllocation } from "../../registry/runs.ts";
import { exitReason } from "./collaborator.ts";

/** A started background wrapper. */
export interface StartedWrapper {
  pid: number;
  exited: Promise<ExitInfo>;
  /** Lets this process exit while the wrapper runs on. */
  unref(): void;
}

/** What {@link startDetached} needs. */
export interface DetachDeps {
  registry: Registry;
  now(): number;
  isAlive: AliveCheck;
  /** Starts the wrapper (`treehouse run … --log-file LOG -- CMD`) in its own session, no terminal. */
  startWrapper(): StartedWrapper;
  /** Sends a signal to a process. */
  signal(pid: number, signal: Deno.Signal): boolean;
}

/** What to wait for. */
export interface DetachRequest {
  project_path: string;
  log: string;
  readyTimeoutMs: number;
  killTimeoutMs: number;
  /** How many log lines a failure shows. */
  tailLines?: number;
}

/** How a detached start ended. */
export type DetachOutcome =
  | {
    outcome: "ready";
    run: RunWithAllocation;
    /** The wrapper's warnings of this start (see {@link wrapperWarnings}), for the caller to show. */
    warnings: string[];
  }
  | { outcome: "exited"; code: number; tail: string[] }
  | {
    outcome: "timeout";
    tail: string[];
    /** Why it was not ready: "the server did not become ready within 5s: it exited with code 3 …". */
    reason: string;
  };

/** How a detached wrapper's warning starts in its log (a continuation line starts with two spaces). */
export const WRAPPER_WARNING = "treehouse: warning: ";

/** How many of this start's log lines are looked through for its warnings. */
const WARNING_SCAN_LINES = 2000;

/**
 * The wrapper's warnings among log lines, without the mark: each with its continuation lines (those
 * right after it that start with two spaces). The server's own lines are left out. Pure.
 */
export function wrapperWarnings(lines: readonly string[]): string[] {
  const warnings: string[] = [];
  let current: string | undefined;
  for (const line of lines) {
    if (line.startsWith(WRAPPER_WARNING)) {
      if (current !== undefined) warnings.push(current);
      current = line.slice(WRAPPER_WARNING.length);
    } else if (current !== undefined && line.startsWith("  ")) {
      current += `\n${line}`;
    } else if (current !== undefined) {
      warnings.push(current);
      current = undefined;
    }
  }
  if (current !== undefined) warnings.push(current);
  return warnings;
}

/** How often the record is looked at while waiting. */
export const DETACH_POLL_MS = 50;

/** Starts the wrapper and waits until its run is ready, it exits, or the ready timeout passes. */
export async function startDetached(deps: DetachDeps, request: DetachRequest): Promise<DetachOutcome> {
  // The log may hold an earlier run's lines (or a running one's): a failure shows only this start's.
  const mark = logSize(request.log);
  const wrapper = deps.startWrapper();
  let exit: ExitInfo | undefined;
  wrapper.exited.then((info) => (exit = info));
  const deadline = deps.now() + request.readyTimeoutMs;
  const tail = () => tailLog(request.log, request.tailLines ?? 20, mark);
  let seen: RunWithAllocation | undefined;
  for (;;) {
    if (exit) return { outcome: "exited", code: exit.code === 0 ? 1 : exit.code, tail: tail() };
    const run = listRuns(deps.registry, { project_path: request.project_path })
      .find((r) => r.wrapper_pid === wrapper.pid && r.ended_at === null);
    if (run) seen = run;
    if (run?.state === "ready") {
      wrapper.unref();
      return {
        outcome: "ready",
        run,
        warnings: wrapperWarnings(tailLog(request.log, WARNING_SCAN_LINES, mark)),
      };
    }
    if (deps.now() >= deadline) break;
    await Promise.race([wrapper.exited, new Promise((r) => setTimeout(r, DETACH_POLL_MS))]);
  }
  // Not ready in time: stop it as SIGTERM would, and wait until it (and so its server) is gone.
  deps.signal(wrapper.pid, "SIGTERM");
  const gone = await Promise.race([
    wrapper.exited.then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), request.killTimeoutMs + 5000)),
  ]);
  if (!gone) {
    deps.signal(wrapper.pid, "SIGKILL"); // its watchdog ends the server
    await wrapper.exited;
  }
  const reason = notReadyReason(request.readyTimeoutMs, seen);
  // The wrapper only saw a SIGTERM: its record says why the run ended (status --json's `reason`).
  if (seen) {
    try {
      noteEndReason(deps.registry, seen.id, `${reason}; run --detach stopped it`, deps.now());
    } catch { /* the record stays without a reason; the caller still says it */ }
  }
  return { outcome: "timeout", tail: tail(), reason };
}

/**
 * Why a detached start was not ready in time, from the last record seen of it: "the server did not
 * become ready within 5s", and when it crashed meanwhile ": it exited with code 3 and was restarted 2
 * times". Pure.
 */
export function notReadyReason(
  readyTimeoutMs: number,
  run: Pick<RunWithAllocation, "exit_code" | "signal" | "restarts"> | undefined,
): string {
  const within = `the server did not become ready within ${readyTimeoutMs / 1000}s`;
  if (!run || (run.exit_code === null && run.signal === null)) return within;
  const how = exitReason({ code: run.exit_code ?? 0, signal: run.signal });
  const times = run.restarts === 1 ? "once" : `${run.restarts} times`;
  return `${within}: it ${how}` + (run.restarts > 0 ? ` and was restarted ${times}` : "");
}
