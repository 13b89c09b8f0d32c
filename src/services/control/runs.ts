/**
 * The control use cases seen from outside a run (issue 15): list runs, the status of one, wait for
 * it, restart, stop, read its logs. A run is found by its branch (and service when the branch has
 * several); the wrapper is reached over its control socket. Records whose wrapper is gone are ended
 * here as they are met, and their sockets removed. No parsing, no printing: the CLI and the
 * dashboard both call these.
 */
import {
  ANSWER_TIMEOUT_MS,
  controlExchange,
  controlRequest,
  removeStaleSocket,
} from "../../adapters/control-socket.ts";
import { followLog, tailLog } from "../../adapters/log-file.ts";
import type { ControlReply, ControlStatus } from "../../core/control-protocol.ts";
import { urlFor } from "../../core/child-env.ts";
import { shellWord } from "../../core/quote.ts";
import { DEFAULT_SERVICE } from "../../core/run-table.ts";
import {
  NotAnsweringError,
  NotFoundError,
  RunEndedError,
  TimeoutError,
  TreehouseError,
  UsageError,
  WrapperRefusedError,
} from "../../errors.ts";
import type { AliveCheck } from "../../registry/allocations.ts";
import type { Registry } from "../../registry/registry.ts";
import {
  endDeadRuns,
  getRun,
  isLive,
  listRuns as listRunRecords,
  type RunState,
  type RunWithAllocation,
} from "../../registry/runs.ts";

/** What the control use cases need. */
export interface ControlDeps {
  registry: Registry;
  isAlive: AliveCheck;
  now(): number;
  /** Renders an allocation's (or a run's extra) label as a full hostname. */
  hostFor(label: string, projectPath: string): string;
  /** Sends a signal to a pid (the process adapter). */
  signal?(pid: number, signal: Deno.Signal): boolean;
}

/** One run as the CLI, scripts and the dashboard see it. Stable JSON names. */
export interface RunView {
  /** The branch's allocation (its IP, hostname and database). */
  allocation_id: number;
  project_path: string;
  branch: string;
  service: string;
  state: RunState;
  /** Why the run ended (or why it is restarting), when known: "the server exited with code 3". */
  reason: string | null;
  /** How the server last ended: its exit code (null while it runs, or when a signal killed it). */
  exit_code: number | null;
  /** The signal that last killed the server (`SIGKILL`), or null. */
  signal: string | null;
  /** The server command's own pid (it changes on restart). */
  pid: number | null;
  wrapper_pid: number | null;
  ip: string;
  port: number;
  host: string;
  /** The extra name of `run --name`, as a full host, or null. */
  name: string | null;
  url: string;
  restarts: number;
  log: string | null;
  detached: boolean;
  socket: string | null;
  started_at: number;
  ready_at: number | null;
  ended_at: number | null;
  /** Milliseconds since the run started, while it runs. */
  uptime_ms: number | null;
  /**
   * Whether the live run's wrapper answered its control socket just now (`status` asks it), false when
   * it did not (SIGSTOPped, wedged: `reason` says so), null when it was not asked (an ended run, a list).
   */
  answers: boolean | null;
  command: string[];
}

/** Which run a command acts on. */
export interface RunTarget {
  project_path: string;
  branch: string;
  /** The service, when the branch has several runs. */
  service?: string;
}

const urlOf = urlFor;

/** The view of a run record. */
export function viewOfRun(deps: ControlDeps, r: RunWithAllocation): RunView {
  const live = isLive(r);
  const name = r.name === null ? null : deps.hostFor(r.name, r.project_path);
  const host = deps.hostFor(r.hostname, r.project_path);
  return {
    allocation_id: r.allocation_id,
    project_path: r.project_path,
    branch: r.branch,
    service: r.service,
    state: r.state,
    reason: r.reason,
    exit_code: r.exit_code,
    signal: r.signal,
    pid: live ? r.pid : null,
    wrapper_pid: live ? r.wrapper_pid : null,
    ip: r.ip,
    port: r.port,
    host,
    name,
    url: urlOf(name ?? host, r.port),
    restarts: r.restarts,
    log: r.log,
    detached: r.detached,
    socket: live ? r.socket : null,
    started_at: r.started_at,
    ready_at: r.ready_at,
    ended_at: r.ended_at,
    uptime_ms: live ? Math.max(0, deps.now() - r.started_at) : null,
    answers: null,
    command: r.command,
  };
}

/**
 * Ends the live records whose wrapper is gone and removes their stale sockets. Cheap: one liveness
 * read per live run (`/proc` on Linux).
 */
export async function reconcile(deps: ControlDeps, filter: { project_path?: string } = {}): Promise<void> {
  const ended = endDeadRuns(deps.registry, deps.now(), deps.isAlive, filter);
  for (const run of ended) if (run.socket) await removeStaleSocket(run.socket);
}

/**
 * Every run (of one project when given), live and ended, after reconciling dead wrappers. With `ask`,
 * each live wrapper is asked for its state in parallel (see {@link status}).
 */
export async function listRuns(
  deps: ControlDeps,
  filter: { project_path?: string } = {},
  ask = false,
): Promise<RunView[]> {
  await reconcile(deps, filter);
  const runs = listRunRecords(deps.registry, filter);
  if (!ask) return runs.map((r) => viewOfRun(deps, r));
  return await Promise.all(runs.map((r) => askedView(deps, r)));
}

/**
 * The run a command means: the branch's run of `service`, else its only live run, else its most
 * recent one. Several live runs without `service` is a usage error naming them.
 */
export async function findRun(deps: ControlDeps, target: RunTarget): Promise<RunWithAllocation> {
  await reconcile(deps, { project_path: target.project_path });
  return pickRun(
    listRunRecords(deps.registry, { project_path: target.project_path, branch: target.branch }),
    target,
  );
}

/** {@link findRun}'s choice among the branch's run records. */
function pickRun(runs: RunWithAllocation[], target: RunTarget): RunWithAllocation {
  if (target.service !== undefined) {
    const run = runs.find((r) => r.service === target.service);
    if (!run) {
      throw new NotFoundError(`Branch ${target.branch} has no run of service "${target.service}"`, {
        hint: runs.length
          ? `Its services: ${runs.map((r) => r.service).join(", ")}`
          : "Start one with `treehouse run --detach -- CMD`",
      });
    }
    return run;
  }
  const live = runs.filter(isLive);
  if (live.length === 1) return live[0] as RunWithAllocation;
  if (live.length > 1) {
    throw new UsageError(
      `Branch ${target.branch} has ${live.length} runs: ${live.map((r) => r.service).join(", ")}`,
      {
        hint: `Name one with --service ${live[0]?.service}`,
      },
    );
  }
  const latest = [...runs].sort((a, b) => b.started_at - a.started_at)[0];
  if (!latest) {
    throw new NotFoundError(`Branch ${target.branch} has no run`, {
      hint: "Start one with `treehouse run --detach -- CMD` (or `treehouse run -- CMD` in a terminal)",
    });
  }
  return latest;
}

/**
 * The status of a run (see {@link findRun}). A live run's wrapper is asked over its socket: its answer
 * is fresher than the record; a wrapper that does not answer within `answerMs` is said to
 * (`answers: false` and the reason) instead of being trusted.
 */
export async function status(
  deps: ControlDeps,
  target: RunTarget,
  answerMs = ANSWER_TIMEOUT_MS,
): Promise<RunView> {
  return await askedView(deps, await findRun(deps, target), answerMs);
}

/** {@link viewOfRun}, with the live wrapper asked for its state (see {@link status}). */
export async function askedView(
  deps: ControlDeps,
  run: RunWithAllocation,
  answerMs = ANSWER_TIMEOUT_MS,
): Promise<RunView> {
  const view = viewOfRun(deps, run);
  if (!isLive(run) || run.socket === null) return view;
  try {
    const reply = await controlRequest(run.socket, { op: "status" }, answerMs);
    if ("ok" in reply && reply.ok && reply.status) {
      const fresh = reply.status;
      return { ...view, state: fresh.state, pid: fresh.pid, restarts: fresh.restarts, answers: true };
    }
    return { ...view, answers: true };
  } catch (error) {
    // Gone meanwhile: the record says so now.
    if (!deps.isAlive(run.wrapper_pid, run.wrapper_started_at)) {
      await reconcile(deps, { project_path: run.project_path });
      return viewOfRun(deps, getRun(deps.registry, run.id) ?? run);
    }
    const why = error instanceof NotAnsweringError
      ? `the wrapper (pid ${run.wrapper_pid}) does not answer its control socket within ${answerMs / 1000}s`
      : `the wrapper (pid ${run.wrapper_pid}) cannot be reached on its control socket: ${
        (error as Error).message
      }`;
    return { ...view, answers: false, reason: why };
  }
}

/** How {@link waitReady} ended. */
export interface WaitOutcome {
  view: RunView;
  /** `not-answering`: the record said ready until the timeout, but its wrapper never answered. */
  outcome: "ready" | "ended" | "timeout" | "not-answering";
  /** `ended` of a run that had ended before the wait began (no new run started within the timeout). */
  before?: boolean;
}

/**
 * Waits until the run is `ready` (and its wrapper says so), ends, or `timeoutMs` passes; looks every
 * `pollMs`. A run that is missing, or had already ended when the wait began, is waited for: a new run
 * of the branch (or service) counts (`treehouse run -- CMD &` then `status --wait` has no record yet).
 * Only at the timeout is that `ended` (the old run's view) or a {@link NotFoundError} (no run at all).
 */
export async function waitReady(
  deps: ControlDeps,
  target: RunTarget,
  timeoutMs: number,
  pollMs = 100,
  answerMs = ANSWER_TIMEOUT_MS,
  /** Told once when there is nothing to wait on yet: no run, or only one that had already ended. */
  onWaiting?: (why: string) => void,
): Promise<WaitOutcome> {
  const deadline = deps.now() + timeoutMs;
  const scope = { project_path: target.project_path, branch: target.branch };
  const key = (r: RunWithAllocation) => `${r.id}:${r.started_at}:${r.wrapper_pid}`;
  await reconcile(deps, { project_path: target.project_path });
  // Runs that had ended before the wait began are not what it waits for.
  const before = new Set(listRunRecords(deps.registry, scope).filter((r) => !isLive(r)).map(key));
  for (;;) {
    await reconcile(deps, { project_path: target.project_path });
    let run: RunWithAllocation | undefined;
    let missing: NotFoundError | undefined;
    try {
      run = pickRun(listRunRecords(deps.registry, scope), target);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      missing = error;
    }
    if (onWaiting && (run === undefined || before.has(key(run)))) {
      onWaiting(
        run === undefined
          ? `Branch ${target.branch} has no run${target.service ? ` of service "${target.service}"` : ""} yet`
          : `The ${run.service} run of ${run.branch} is ${run.state}`,
      );
      onWaiting = undefined;
    }
    let view: RunView | undefined;
    if (run !== undefined) {
      // A ready record is confirmed by its wrapper (a SIGSTOPped one keeps saying ready).
      view = isLive(run) && run.state === "ready"
        ? await askedView(deps, run, answerMs)
        : viewOfRun(deps, run);
      if (view.state === "ready" && view.answers !== false) return { view, outcome: "ready" };
      if (view.ended_at !== null && !before.has(key(run))) return { view, outcome: "ended" };
    }
    if (deps.now() >= deadline) {
      const waited = timeoutMs >= 1000
        ? `${Math.ceil(timeoutMs / 1000)}s`
        : `${Math.round(timeoutMs / 100) / 10}s`;
      if (view === undefined) {
        throw new NotFoundError(
          `${missing?.message ?? `Branch ${target.branch} has no run`} (waited ${waited})`,
          {
            hint: missing?.hint,
          },
        );
      }
      if (view.ended_at !== null) return { view, outcome: "ended", before: true };
      return { view, outcome: view.answers === false ? "not-answering" : "timeout" };
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - deps.now()))));
  }
}

/**
 * The command that starts an ended run again: `treehouse run --detach` with its port, service and
 * recorded command (as the server ran it), else the generic form.
 */
export function startAgainCommand(run: Pick<RunView, "command" | "port" | "service">): string {
  if (run.command.length === 0) return "treehouse run --detach -- CMD";
  const words = ["treehouse", "run", "--detach", "--port", String(run.port)];
  if (run.service !== DEFAULT_SERVICE) words.push("--service", run.service);
  return [...words, "--", ...run.command].map(shellWord).join(" ");
}

function liveSocket(run: RunWithAllocation): string {
  if (!isLive(run) || run.socket === null) {
    const again = `start it again with \`${startAgainCommand(run)}\``;
    throw new RunEndedError(`The ${run.service} run of ${run.branch} is not running (${run.state})`, {
      hint: run.reason ? `It ended: ${run.reason}; ${again}` : `${again[0]!.toUpperCase()}${again.slice(1)}`,
    });
  }
  return run.socket;
}

/** A wrapper's error reply as an error of its own (exit 22): its words, and where to look next. */
function replyError(run: RunWithAllocation, reply: ControlReply): WrapperRefusedError | undefined {
  if ("ok" in reply && reply.ok === false) {
    return new WrapperRefusedError(`The wrapper of ${run.branch} (${run.service}) answered: ${reply.error}`, {
      hint: "Check the run with `treehouse status` and its output with `treehouse logs`",
    });
  }
  return undefined;
}

/** The error of a wrapper that does not answer (`restart` and `stop` fail with it, exit 21). */
function notAnswering(run: RunWithAllocation, error: NotAnsweringError): NotAnsweringError {
  return new NotAnsweringError(
    `The wrapper of ${run.branch} (${run.service}, pid ${run.wrapper_pid}) does not answer its control socket`,
    {
      hint:
        `It may be stopped (\`kill -CONT ${run.wrapper_pid}\`) or wedged (\`kill -9 ${run.wrapper_pid}\`: ` +
        "its watchdog ends the server)",
      cause: error,
    },
  );
}

/**
 * What a failed exchange with the run's wrapper at `socket` throws: {@link notAnswering} (exit 21),
 * a treehouse error as it is, anything else as "cannot reach".
 */
function exchangeFailure(run: RunWithAllocation, socket: string, error: unknown): Error {
  if (error instanceof NotAnsweringError) return notAnswering(run, error);
  if (error instanceof TreehouseError) return error;
  return new NotFoundError(`Cannot reach the wrapper of ${run.branch} (${run.service}) at ${socket}`, {
    hint: "It may have just stopped: check `treehouse status`",
    cause: error,
  });
}

async function ask(run: RunWithAllocation, request: Parameters<typeof controlRequest>[1]) {
  const socket = liveSocket(run);
  try {
    return await controlRequest(socket, request, ANSWER_TIMEOUT_MS);
  } catch (error) {
    throw exchangeFailure(run, socket, error);
  }
}

/**
 * Restarts the run's server (the same command and environment) through its wrapper. With `wait`
 * returns once it is ready again; concurrent restarts collapse into one in the wrapper.
 */
export async function restart(deps: ControlDeps, target: RunTarget, wait = true): Promise<RunView> {
  const run = await findRun(deps, target);
  const socket = liveSocket(run);
  let reply: ControlReply | undefined;
  try {
    // The wrapper acknowledges at once (`accepted`) and answers again when the restart is done.
    for await (
      const line of controlExchange(socket, { op: "restart", wait }, { firstReplyMs: ANSWER_TIMEOUT_MS })
    ) {
      if ("ok" in line && line.ok && line.accepted) continue;
      reply = line;
      break;
    }
  } catch (error) {
    throw exchangeFailure(run, socket, error);
  }
  const failure = replyError(
    run,
    reply ?? { ok: false, error: "the wrapper closed the connection without a reply" },
  );
  if (failure) throw failure;
  const current = getRun(deps.registry, run.id) ?? run;
  return viewOfRun(deps, current);
}

/**
 * Stops the run as SIGTERM to its wrapper would, and returns once the wrapper is gone (or throws a
 * {@link TimeoutError} after `timeoutMs`). A run that is not running is not an error: it is returned.
 */
export async function stop(
  deps: ControlDeps,
  target: RunTarget,
  timeoutMs = 30_000,
): Promise<RunView & { was_running: boolean }> {
  const run = await findRun(deps, target);
  if (!isLive(run)) return { ...viewOfRun(deps, run), was_running: false };
  let asked = false;
  try {
    const reply = await ask(run, { op: "stop" });
    asked = !("ok" in reply && reply.ok === false);
  } catch (error) {
    // Alive but not answering: a SIGTERM would wait for it too; say so rather than hang.
    if (error instanceof NotAnsweringError) throw error;
  }
  if (!asked && deps.isAlive(run.wrapper_pid, run.wrapper_started_at)) {
    deps.signal?.(run.wrapper_pid, "SIGTERM");
  }
  const deadline = deps.now() + timeoutMs;
  while (deps.isAlive(run.wrapper_pid, run.wrapper_started_at)) {
    if (deps.now() >= deadline) {
      throw new TimeoutError(`The wrapper of ${run.branch} (pid ${run.wrapper_pid}) did not stop in time`, {
        hint: `kill ${run.wrapper_pid}`,
      });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await reconcile(deps, { project_path: run.project_path });
  const view = viewOfRun(
    deps,
    getRun(deps.registry, run.id) ?? { ...run, state: "stopped", ended_at: deps.now() },
  );
  return { ...view, was_running: true };
}

/** What {@link logs} does with each line. */
export interface LogsOptions {
  lines: number;
  follow: boolean;
  onLine(line: string): void;
  /** Ends a follow early (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * The run's last `lines` lines, then (with `follow`) every new one until the run ends or `signal`
 * aborts. A detached run's log is its file (readable after it ended too); a terminal run's lines come
 * from its wrapper's memory.
 */
export async function logs(deps: ControlDeps, target: RunTarget, options: LogsOptions): Promise<RunView> {
  const run = await findRun(deps, target);
  if (run.log !== null) {
    for (const line of tailLog(run.log, options.lines)) options.onLine(line);
    if (options.follow && isLive(run)) {
      const ended = new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (options.signal?.aborted || !deps.isAlive(run.wrapper_pid, run.wrapper_started_at)) {
            clearInterval(timer);
            resolve();
          }
        }, 200);
        options.signal?.addEventListener("abort", () => {
          clearInterval(timer);
          resolve();
        }, { once: true });
      });
      await followLog(run.log, options.onLine, ended);
    }
    return viewOfRun(deps, getRun(deps.registry, run.id) ?? run);
  }
  const socket = liveSocket(run);
  for await (
    const reply of controlExchange(
      socket,
      { op: "logs", lines: options.lines, follow: options.follow },
      { signal: options.signal, firstReplyMs: ANSWER_TIMEOUT_MS },
    )
  ) {
    if ("line" in reply) options.onLine(reply.line);
    else if (reply.ok === false) throw replyError(run, reply);
  }
  return viewOfRun(deps, getRun(deps.registry, run.id) ?? run);
}

/** Asks a live wrapper for its state (fresher than the record between writes). */
export async function wrapperStatus(run: RunWithAllocation): Promise<ControlStatus | undefined> {
  const reply = await ask(run, { op: "status" });
  return "ok" in reply && reply.ok && reply.status ? reply.status : undefined;
}
