/**
 * The control collaborator of `treehouse run` (issue 15): the run's own record (service, port,
 * server and wrapper pid, state, restarts, heartbeat, socket, log), its readiness (the `--ready`
 * target, by default the branch's IP:port accepting connections), its recent output lines, the log
 * file of a detached run, and the control socket that lets `status`, `logs`, `restart` and `stop`
 * reach it. It only ever restarts or stops the recorded command, through the run's `RunControl`.
 */
import {
  type ControlServer,
  listenControl,
  removeStaleSocket,
  type ReplyWriter,
} from "../../adapters/control-socket.ts";
import type { RotatingLog } from "../../adapters/log-file.ts";
import type { ControlRequest, ControlStatus } from "../../core/control-protocol.ts";
import {
  endDeadRuns,
  endRun,
  runHeartbeat,
  type RunState,
  type RunUpdate,
  startRun,
  updateRun,
} from "../../registry/runs.ts";
import { probe as probeTarget, type ReadyTarget } from "../run/ready.ts";
import type { RunControl } from "../run/control.ts";
import type { RunCollaborator, RunSession } from "../run/types.ts";

/** How many output lines a wrapper keeps for `treehouse logs`. */
export const KEPT_LINES = 1000;
/** A line longer than this (a progress bar redrawn with `\r`) is kept in pieces of this size. */
const MAX_LINE_CHARS = 4000;
/** How often the ready target is tried: often at first (a restart is waited for), then every 100 ms. */
export const PROBE_INTERVAL_MS = 100;
/** The quick first tries: every 2 ms for the first second (a refused loopback connect costs ~0.1 ms). */
const QUICK_PROBES = 500;
const QUICK_INTERVAL_MS = 2;

/** What the control collaborator is given. */
export interface ControlOptions {
  /** The run's service name (`--service`, default `web`). */
  service: string;
  /** Where the socket goes (a private runtime directory), or null for none. */
  socketPath: (runId: string) => string | null;
  /** The detached run's log; null for a run in a terminal. */
  log: RotatingLog | null;
  /** The wrapper's own pid and start time. */
  wrapperPid: number;
  wrapperStartedAt: number | null;
  /** The ready target: `--ready`'s, else the branch's IP:port. */
  readyTarget(session: RunSession): ReadyTarget;
}

/** The control collaborator of one run. */
export function controlCollaborator(options: ControlOptions): RunCollaborator & { status(): ControlStatus } {
  let session!: RunSession;
  let recordId: number | undefined;
  let server: ControlServer | undefined;
  let state: RunState = "starting";
  let pid: number | null = null;
  let restarts = 0;
  let readyAt: number | null = null;
  let child = 0;
  let settle: (() => void) | undefined;
  let settled: Promise<void> = Promise.resolve();
  let restarting: Promise<void> | undefined;
  let ended = false;
  let beat: ReturnType<typeof setInterval> | undefined;
  let later: ReturnType<typeof setTimeout> | undefined;
  const endWaiters: (() => void)[] = [];
  const lines: string[] = [];
  // Per stream: a line is never made of one stream's start and the other's end.
  const partial = { stdout: "", stderr: "" };
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const followers = new Set<(line: string) => void>();

  const record = (next: RunState, patch: Omit<RunUpdate, "now" | "state"> = {}) => {
    if (ended) return;
    state = next;
    if (recordId === undefined) return;
    try {
      updateRun(session.deps.registry, recordId, { ...patch, state: next, now: session.deps.now() });
    } catch (error) {
      session.deps.output.warn(`Could not record the run's state (${next}): ${(error as Error).message}`);
    }
  };

  const status = (): ControlStatus => ({
    state,
    pid,
    wrapper_pid: options.wrapperPid,
    restarts,
    started_at: session?.control.startedAt ?? 0,
    ready_at: readyAt,
  });

  const waitReady = async (target: ReadyTarget, mine: number) => {
    for (let attempt = 0; !ended && mine === child; attempt++) {
      if (await probeTarget(target)) {
        if (ended || mine !== child) return;
        readyAt = session.deps.now();
        record("ready", { ready_at: readyAt });
        settle?.();
        return;
      }
      await new Promise((r) => setTimeout(r, attempt < QUICK_PROBES ? QUICK_INTERVAL_MS : PROBE_INTERVAL_MS));
    }
  };

  const keep = (chunk: Uint8Array, stream: "stdout" | "stderr") => {
    const parts = (partial[stream] + decoders[stream].decode(chunk, { stream: true })).split("\n");
    let rest = parts.pop() ?? "";
    if (rest.length > MAX_LINE_CHARS) {
      parts.push(rest);
      rest = "";
    }
    partial[stream] = rest;
    for (const line of parts) {
      lines.push(line);
      for (const follower of followers) follower(line);
    }
    if (lines.length > KEPT_LINES) lines.splice(0, lines.length - KEPT_LINES);
  };

  const restart = async (wait: boolean) => {
    if (ended) throw new Error("the run is stopping");
    if (!restarting) {
      restarting = (async () => {
        // A restart while the server is starting waits for that start first.
        if (state === "starting") await settledOrTimeout();
        if (ended) throw new Error("the run is stopping");
        const before = child;
        if (!session.control.restart()) throw new Error("the run is stopping");
        record("restarting");
        // Until the new child is spawned.
        while (child === before && !ended) await new Promise((r) => setTimeout(r, 2));
      })().finally(() => (restarting = undefined));
    }
    await restarting;
    if (wait) await settledOrTimeout();
  };

  // A server that never answers its ready target (it listens elsewhere) must not hold a restart forever:
  // the wait is --ready-timeout's.
  const settledOrTimeout = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      settled,
      new Promise<void>((r) => (timer = setTimeout(r, session.request.readyTimeoutMs))),
    ]);
    clearTimeout(timer);
  };

  const ends = () => (ended ? Promise.resolve() : new Promise<void>((r) => endWaiters.push(r)));

  const handle = async (request: ControlRequest, reply: ReplyWriter) => {
    switch (request.op) {
      case "status":
        await reply.send({ ok: true, status: status() });
        return;
      case "restart":
        // At once, so the client knows the wrapper answers however long the restart takes.
        if (!await reply.send({ ok: true, accepted: true })) return;
        await restart(request.wait);
        await reply.send({ ok: true, status: status() });
        return;
      case "stop":
        if (await reply.send({ ok: true, status: status() })) session.control.stop();
        return;
      case "logs": {
        await reply.send({ ok: true, accepted: true });
        const kept = [...lines, ...[partial.stdout, partial.stderr].filter((p) => p !== "")];
        for (const line of request.lines > 0 ? kept.slice(-request.lines) : []) await reply.send({ line });
        if (request.follow && !ended) {
          const queue: string[] = [];
          let skipped = 0;
          let wake: (() => void) | undefined;
          const follower = (line: string) => {
            // A reader that does not keep up (stopped, slow) costs at most KEPT_LINES lines of memory.
            if (queue.length >= KEPT_LINES) {
              queue.shift();
              skipped++;
            }
            queue.push(line);
            wake?.();
          };
          const next = () => {
            if (skipped === 0) return queue.shift() as string;
            const note = `[treehouse: ${skipped} lines skipped: the reader fell behind]`;
            skipped = 0;
            return note;
          };
          followers.add(follower);
          let done = false;
          const over = Promise.race([ends(), reply.closed]).then(() => (done = true));
          try {
            while (!done) {
              while (queue.length) await reply.send({ line: next() });
              await Promise.race([new Promise<void>((r) => (wake = r)), over]);
              wake = undefined;
            }
            while (queue.length) await reply.send({ line: next() });
          } finally {
            followers.delete(follower);
          }
        }
        await reply.send({ ok: true, done: true });
        return;
      }
    }
  };

  return {
    name: "control",
    status,
    async prepare(s: RunSession) {
      session = s;
      const { registry, now, process } = s.deps;
      const socketPath = options.socketPath(s.runId);
      // A second live run of the same service is refused here, before the child starts (exit 7).
      const run = startRun(registry, {
        allocation_id: s.allocation.id,
        service: options.service,
        name: s.label === s.allocation.hostname ? null : s.label,
        port: s.request.port,
        wrapper_pid: options.wrapperPid,
        wrapper_started_at: options.wrapperStartedAt,
        run_id: s.runId,
        socket: socketPath,
        log: options.log?.path ?? null,
        detached: options.log !== null,
        command: [...s.command],
        now: now(),
      }, process.isAlive);
      recordId = run.id;
      // Every run's output passes through the wrapper, in a terminal too (the supervisor copies it to the
      // terminal unchanged; stdin stays the terminal): the last lines are kept for `treehouse logs`.
      const log = options.log;
      s.tapOutput((chunk, stream) => {
        log?.write(chunk);
        keep(chunk, stream);
      });
      // A crash waiting out its restart backoff (--restart on-failure) reads as restarting.
      s.control.onState((next, control) => {
        if (next !== "restarting" || state === "restarting") return;
        // Between children (no pid): the server crashed and waits out its backoff; say how it ended.
        const exit = control.pid === null ? control.lastExit : null;
        record("restarting", {
          pid: null,
          ...(exit && {
            exit_code: exit.signal ? null : exit.code,
            signal: exit.signal,
            reason: `the server ${exitReason(exit)}; ${restartingText(control.nextRestart)}`,
          }),
        });
      });
      if (socketPath !== null) {
        try {
          server = await listenControl(socketPath, handle);
        } catch (error) {
          s.deps.output.warn(
            `No control socket (restart, stop and logs from elsewhere will not work): ${
              (error as Error).message
            }`,
          );
        }
      }
    },
    spawned(s: RunSession, childPid: number) {
      const first = child === 0;
      child++;
      if (!first) restarts++;
      pid = childPid;
      readyAt = null;
      settle?.();
      settled = new Promise<void>((resolve) => (settle = resolve));
      record("starting", {
        pid: childPid,
        pid_started_at: s.deps.process.startTime(childPid) ?? s.deps.now(),
        restarts,
        ready_at: null,
        reason: null,
      });
      waitReady(options.readyTarget(s), child);
      if (first) {
        // A loop turn later (the loop carries the HTTPS front's held connections right after the spawn):
        // other runs whose wrapper is gone (kill -9, a reboot) end, and their sockets go.
        later = setTimeout(() => {
          later = undefined;
          try {
            const dead = endDeadRuns(s.deps.registry, s.deps.now(), s.deps.process.isAlive);
            for (const r of dead) if (r.socket) removeStaleSocket(r.socket);
          } catch (error) {
            s.deps.output.warn(`Could not clean up stale runs: ${(error as Error).message}`);
          }
          beat = setInterval(() => {
            if (recordId === undefined) return;
            try {
              runHeartbeat(s.deps.registry, recordId, s.deps.now());
            } catch { /* the liveness collaborator warns about the registry */ }
          }, s.request.settings.heartbeatMs);
        }, 0);
      }
    },
    async stopping(s: RunSession) {
      if (ended) return;
      ended = true;
      child++;
      settle?.();
      for (const waiter of endWaiters) waiter();
      if (later !== undefined) clearTimeout(later);
      later = undefined;
      if (beat !== undefined) clearInterval(beat);
      if (recordId !== undefined) {
        try {
          const crashed = s.control.state === "crashed";
          const exit = s.control.lastExit;
          endRun(s.deps.registry, recordId, {
            state: crashed ? "crashed" : "stopped",
            reason: crashed ? crashReason(s) : null,
            ...(exit && { exit_code: exit.signal ? null : exit.code, signal: exit.signal }),
            now: s.deps.now(),
          });
        } catch (error) {
          s.deps.output.warn(`Could not record the end of the run: ${(error as Error).message}`);
        }
      }
      await server?.close();
      // The log stays open: its owner (`run`) closes it, after writing an error that ends the run there.
    },
  };
}

/** How a server ended, for people: "exited with code 3", "was killed by SIGKILL". */
export function exitReason(exit: { code: number; signal: string | null }): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/** "restart 4 of 5 in 1s" (the log's words for the coming attempt), or "restarting". */
function restartingText(next: RunControl["nextRestart"]): string {
  return next ? `restart ${next.attempt} of ${next.of} in ${next.delayMs / 1000}s` : "restarting";
}

/** Why a run ended `crashed`: it never became ready in time, or how its server last ended. */
function crashReason(s: RunSession): string {
  const exit = s.control.lastExit;
  if (s.control.readyTimedOut) {
    return `the server did not become ready within ${s.request.readyTimeoutMs / 1000}s` +
      (exit ? ` (then ${exitReason(exit)} when stopped)` : "");
  }
  return exit ? `the server ${exitReason(exit)}` : "the server did not start";
}
