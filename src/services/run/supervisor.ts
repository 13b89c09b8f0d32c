/**
 * Supervision of `treehouse run`'s child: signals forwarded, a kill timeout, restart with backoff,
 * the ready wait, and nothing left behind when it ends.
 *
 * Off a terminal the child gets its own session and process group (`detached`) and signals go to
 * the group. On a terminal the child stays in the wrapper's process group so it keeps the terminal
 * (stdin, `/dev/tty`, Ctrl-C, Ctrl-Z/fg behave as without the wrapper); what to stop is then found
 * by walking the process tree and the run's `TREEHOUSE_RUN_ID` tag.
 *
 * The run's {@link RunControl} follows the child (starting, ready, restarting, crashed, stopped) and
 * can ask for a restart now or a stop.
 */
import type { ProcessAdapter } from "../../adapters/process/adapter.ts";
import type { ExitInfo, Spawned } from "../../adapters/process/spawn.ts";
import type { Watchdog } from "../../adapters/process/watchdog.ts";
import { LineTail, nextRestart, RESTART_BACKOFF_MS, restartDelay } from "../../core/child-env.ts";
import { RunControl } from "./control.ts";
import { type ReadyTarget, waitReady } from "./ready.ts";

/** Signals the wrapper forwards to its child. */
export const FORWARDED_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * A run lasting this many first backoff steps (60 s by default) counts as healthy: its crash is
 * restart 1 again, so a server that crashes once a day is never given up on.
 */
export const HEALTHY_RUN_STEPS = 60;

/** What {@link supervise} needs. */
export interface SuperviseOptions {
  command: string;
  args: readonly string[];
  /** Variables added to the inherited environment. */
  env: Record<string, string>;
  cwd: string;
  /** Keep the child in the wrapper's process group (the wrapper runs on a terminal). */
  tty: boolean;
  runId: string;
  killTimeoutMs: number;
  restart: "no" | "on-failure";
  backoffMs?: readonly number[];
  /** Pipe the child's output through the wrapper, keeping its last lines (needed by `ready`). */
  capture: boolean;
  ready?: { target: ReadyTarget; timeoutMs: number };
  watchdog: Watchdog;
  /** Starting, signalling and finding processes. */
  process: ProcessAdapter;
  /** The clock (epoch ms). */
  now(): number;
  /** The run's state and on-demand restart/stop; a fresh one when not given. */
  control?: RunControl;
  /** A child started (first start or restart). */
  onSpawn(pid: number): void;
  /**
   * The child is ready: `--ready`'s target answered, or (without `--ready`) it was just started.
   * `first` is true only once per run.
   */
  onReady?(first: boolean): void;
  /** Every chunk of the child's output, when `capture` is on. */
  onOutput?(chunk: Uint8Array, stream: "stdout" | "stderr"): void;
  /** A message for the user. */
  say(text: string): void;
}

/** How supervision ended. */
export interface SuperviseResult {
  /** The exit code the wrapper should exit with: the child's, or 128+N for signal N. */
  code: number;
  /** The last exit of the child (undefined when it never ran). */
  last?: ExitInfo;
  /** The signal the wrapper received, if any. */
  signal?: Deno.Signal;
  /** `--ready` timed out; `tail` holds the child's last output lines. */
  readyTimedOut: boolean;
  tail: string[];
}

/**
 * Runs the child until it ends for good. The first start's failure (command not found…) is thrown;
 * every later failure ends supervision with the child's code.
 */
export async function supervise(o: SuperviseOptions): Promise<SuperviseResult> {
  const proc = o.process;
  const control = o.control ?? new RunControl(o.now());
  let child: Spawned | undefined;
  let stopping: Deno.Signal | undefined;
  let restartRequested = false;
  let readyTimedOut = false;
  let readySeen = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  let hangupTimer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  const tail = new LineTail(20);
  const group = !o.tty;

  const signalChild = (signal: Deno.Signal) => {
    if (!child) return;
    if (group) {
      proc.signal(child.pid, signal, true);
      return;
    }
    for (const pid of proc.members(child.pid, { group: false, tag: o.runId })) {
      proc.signal(pid, signal, false);
    }
  };
  const armKillTimer = () => {
    if (killTimer === undefined) killTimer = setTimeout(() => signalChild("SIGKILL"), o.killTimeoutMs);
  };
  const stop = (signal: Deno.Signal, forward: boolean) => {
    stopping ??= signal;
    wake?.();
    if (!child) return;
    if (forward) signalChild(signal);
    if (forward) armKillTimer();
  };
  const markReady = () => {
    control.enter("ready", o.now());
    const first = !readySeen;
    readySeen = true;
    o.onReady?.(first);
  };
  control.bind({
    restart: () => {
      if (stopping) return false;
      restartRequested = true;
      control.enter("restarting", o.now());
      if (child) {
        signalChild("SIGTERM");
        armKillTimer();
      } else wake?.();
      return true;
    },
    stop: () => stop("SIGTERM", true),
  });
  const handlers = FORWARDED_SIGNALS.map((signal) => {
    const handler = () => {
      const how = o.tty ? terminalSignal(signal, proc.inTerminalForeground()) : "forward";
      if (how === "forward") return stop(signal, true);
      stop(signal, false);
      if (how === "hangup" && child && hangupTimer === undefined) {
        // Sent to the group, the hang-up reached the command already; a command still running after a
        // moment did not get it (or ignores it): it gets it once, and the kill timer.
        const target = child;
        hangupTimer = setTimeout(() => {
          if (child !== target) return;
          signalChild("SIGHUP");
          armKillTimer();
        }, Math.min(o.killTimeoutMs, HANGUP_GRACE_MS));
      }
    };
    Deno.addSignalListener(signal, handler);
    return { signal, handler };
  });

  let readyTask: Promise<void> | undefined;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  let last: ExitInfo | undefined;
  let stoppedBetweenRuns = false;
  let pumps: Promise<void>[] = [];
  try {
    for (let restarts = 0;; restarts++) {
      child = proc.spawn(o.command, {
        args: o.args,
        env: o.env,
        cwd: o.cwd,
        detached: group,
        stdin: "inherit",
        stdout: o.capture ? "piped" : "inherit",
        stderr: o.capture ? "piped" : "inherit",
      });
      const startedAt = o.now();
      control.pid = child.pid;
      control.enter("starting", startedAt);
      o.watchdog.watch(group ? -child.pid : child.pid);
      o.onSpawn(child.pid);
      if (o.capture) {
        pumps = [
          pump(child.process.stdout, Deno.stdout, tail, (c) => o.onOutput?.(c, "stdout")),
          pump(child.process.stderr, Deno.stderr, tail, (c) => o.onOutput?.(c, "stderr")),
        ];
      }
      if (stopping) stop(stopping, true); // a signal arrived while starting
      if (!o.ready) markReady();
      else if (!readyTask) {
        const ready = o.ready;
        readyTask = waitReady(ready.target, o.now() + ready.timeoutMs, done).then((outcome) => {
          if (outcome === "ready") markReady();
          else if (outcome === "timeout") {
            readyTimedOut = true;
            control.readyTimedOut = true;
            stop("SIGTERM", true);
          }
        });
      } else if (readySeen) {
        // A restarted child: its readiness is only observed (the first wait alone can time out).
        const ready = o.ready;
        const exited = child.exited.then(() => {});
        void waitReady(ready.target, o.now() + ready.timeoutMs, Promise.race([exited, done])).then(
          (outcome) => {
            if (outcome === "ready" && !stopping) markReady();
          },
        );
      }
      last = await child.exited;
      control.lastExit = last;
      const pid = child.pid;
      // Leftovers first: a background grandchild holding the output pipes would keep the pumps open.
      await endLeftovers(proc, pid, group, o.runId, Math.min(o.killTimeoutMs, 2000));
      await Promise.all(pumps);
      o.watchdog.unwatch(group ? -pid : pid);
      child = undefined;
      control.pid = null;
      if (killTimer !== undefined) clearTimeout(killTimer);
      killTimer = undefined;
      if (stopping) break;
      if (restartRequested) {
        // Asked for: at once, and not one of `--restart`'s attempts.
        restartRequested = false;
        restarts--;
        control.restarts++;
        continue;
      }
      const code = proc.exitCode(last);
      const backoff = o.backoffMs ?? RESTART_BACKOFF_MS;
      // A command that ran a good while before crashing starts a fresh series of restarts.
      const next = nextRestart(
        o.now() - startedAt,
        restarts,
        HEALTHY_RUN_STEPS * (backoff[0] ?? 1000),
        (n) => restartDelay(o.restart, code, n, backoff),
      );
      restarts = next.restarts;
      const delay = next.delayMs;
      if (delay === undefined) {
        if (o.restart === "on-failure" && code !== 0) {
          o.say(`treehouse: ${describeExit(o.command, last)}; gave up after ${restarts} restarts`);
        }
        break;
      }
      o.say(
        `treehouse: ${describeExit(o.command, last)}; restarting in ${delay / 1000}s (restart ${
          restarts + 1
        } of ${backoff.length})`,
      );
      control.nextRestart = { attempt: restarts + 1, of: backoff.length, delayMs: delay };
      control.enter("restarting", o.now());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      control.nextRestart = null;
      if (stopping) {
        stoppedBetweenRuns = true; // the child had already ended: the signal decides the exit code
        break;
      }
      restartRequested = false; // a request during the wait only ends the wait early
      control.restarts++;
    }
  } finally {
    finish();
    control.bind(undefined);
    if (killTimer !== undefined) clearTimeout(killTimer);
    if (hangupTimer !== undefined) clearTimeout(hangupTimer);
    if (child) {
      // Only reached when something threw mid-run: never leave the child behind.
      signalChild("SIGKILL");
    }
    for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
  }
  await readyTask;
  let code = last ? proc.exitCode(last) : 1;
  if ((!last || stoppedBetweenRuns) && stopping) code = 128 + (proc.signalNumber(stopping) ?? 0);
  control.pid = null;
  control.enter(readyTimedOut || (!stopping && code !== 0) ? "crashed" : "stopped", o.now());
  return { code, last, signal: stopping, readyTimedOut, tail: tail.lines() };
}

/** How long a command may take to end after a terminal's hang-up before it is sent one itself. */
export const HANGUP_GRACE_MS = 1000;

/**
 * What to do with a signal the wrapper got on a terminal, where the child shares its process group.
 * A SIGINT in the terminal's foreground came from Ctrl-C and reached the child already: forwarding it
 * would be a second Ctrl-C (iex quits, a debugger gives up); outside the foreground it was sent to the
 * wrapper (`kill -INT PID`): forward it. A SIGHUP (the terminal closed: the kernel and the shell send
 * it to process groups) is passed on only to a command still running a moment later ("hangup"), so a
 * command never sees two. SIGTERM is always forwarded. Pure.
 */
export function terminalSignal(
  signal: Deno.Signal,
  foreground: boolean | undefined,
): "forward" | "reached" | "hangup" {
  if (signal === "SIGHUP") return "hangup";
  if (signal === "SIGTERM") return "forward";
  // Unknown (not Linux): as before, a SIGINT on a terminal is taken to come from its Ctrl-C.
  return foreground === false ? "forward" : "reached";
}

/** Describes how the child ended, execa style: the command and its code or signal. */
export function describeExit(command: string, info: ExitInfo): string {
  return info.signal ? `${command} was killed by ${info.signal}` : `${command} exited with code ${info.code}`;
}

/** After the child exited: SIGTERM whatever is left of its group/tree/tag, then SIGKILL after `graceMs`. */
async function endLeftovers(
  proc: ProcessAdapter,
  pid: number,
  group: boolean,
  tag: string,
  graceMs: number,
): Promise<void> {
  let members = proc.members(pid, { group, tag });
  if (members.length === 0) return;
  for (const m of members) proc.signal(m, "SIGTERM", false);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    members = proc.members(pid, { group, tag });
    if (members.length === 0) return;
  }
  for (const m of members) proc.signal(m, "SIGKILL", false);
}

/** Copies a child's output to ours, keeping its last lines. If ours is closed, keeps draining. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  target: { write(p: Uint8Array): Promise<number> },
  tail: LineTail,
  tap: (chunk: Uint8Array) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let writable = true;
  try {
    for await (const chunk of stream) {
      tail.push(decoder.decode(chunk, { stream: true }));
      try {
        tap(chunk);
      } catch { /* a tap's failure must not block the child */ }
      let rest = chunk;
      while (writable && rest.length > 0) {
        try {
          rest = rest.subarray(await target.write(rest));
        } catch {
          writable = false; // our output is gone: drop the child's, never block it on a full pipe
        }
      }
    }
  } catch { /* the child's side closed */ }
}
