/**
 * The control side of a running wrapper (issue 15): it keeps the run's record (state, server pid,
 * restarts, heartbeat), decides when the server is `ready` (its ready target answers, by default the
 * branch's IP:port), keeps the recent output lines in memory, and answers the control socket. It only
 * ever restarts or stops the recorded command: the supervisor's, given at {@link RunSession.attach}.
 */
import { type ControlHandler, type ControlServer, listenControl } from "../../adapters/control-socket.ts";
import type { ControlRequest, ControlStatus } from "../../core/control-protocol.ts";
import type { Registry } from "../../registry/registry.ts";
import { endRun, runHeartbeat, type RunState, type RunUpdate, updateRun } from "../../registry/runs.ts";

/** What the session asks of the supervisor. */
export interface Restartable {
  /**
   * Stops the current child gracefully (the usual signal path and kill timeout) and starts the same
   * command again at once. Resolves when the new child was spawned.
   */
  restart(): Promise<void>;
}

/** What a session needs. */
export interface SessionDeps {
  registry: Registry;
  /** The run's record id. */
  runId: number;
  socketPath: string | null;
  wrapperPid: number;
  now(): number;
  /** One attempt at the ready target: true when it answers. */
  probe(): Promise<boolean>;
  /** Stops the whole run as SIGTERM to the wrapper would. */
  stopRun(): void;
  /** A message for the user (warnings). */
  warn(text: string): void;
  /** Called once per child when it becomes ready. */
  onReady?(pid: number): void;
}

/** How many output lines a wrapper keeps for `treehouse logs`. */
export const KEPT_LINES = 1000;
/** How often the ready target is tried. */
export const PROBE_INTERVAL_MS = 100;

/** The wrapper's side of the control channel. */
export class RunSession {
  #deps: SessionDeps;
  #server: ControlServer | undefined;
  #supervisor: Restartable | undefined;
  #state: RunState = "starting";
  #pid: number | null = null;
  #restarts = 0;
  #startedAt: number;
  #readyAt: number | null = null;
  #restarting: Promise<void> | undefined;
  #settled: Promise<void> = Promise.resolve();
  #settle: (() => void) | undefined;
  #child = 0;
  #lines: string[] = [];
  #partial = "";
  #followers = new Set<(line: string) => void>();
  #ended = false;
  #endWaiters: (() => void)[] = [];

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    this.#startedAt = deps.now();
  }

  /** Listens on the control socket (when the run has one). A socket that cannot be made is a warning. */
  async listen(): Promise<void> {
    if (this.#deps.socketPath === null) return;
    try {
      this.#server = await listenControl(this.#deps.socketPath, this.#handle);
    } catch (error) {
      this.#deps.warn(
        `No control socket (restart/stop/logs from elsewhere will not work): ${(error as Error).message}`,
      );
    }
  }

  /** Gives the session the supervisor to restart. */
  attach(supervisor: Restartable): void {
    this.#supervisor = supervisor;
  }

  /** The current state, as the socket reports it. */
  status(): ControlStatus {
    return {
      state: this.#state,
      pid: this.#pid,
      wrapper_pid: this.#deps.wrapperPid,
      restarts: this.#restarts,
      started_at: this.#startedAt,
      ready_at: this.#readyAt,
    };
  }

  /** A child started (first start or restart): state `starting` until its ready target answers. */
  childStarted(pid: number, startedAt: number | null): void {
    const first = this.#pid === null && this.#child === 0;
    this.#child++;
    const child = this.#child;
    if (!first) this.#restarts++;
    this.#pid = pid;
    this.#set("starting", { pid, pid_started_at: startedAt, restarts: this.#restarts, ready_at: null });
    this.#readyAt = null;
    this.#settled = new Promise<void>((resolve) => (this.#settle = resolve));
    this.#waitReady(child, pid);
  }

  async #waitReady(child: number, pid: number): Promise<void> {
    while (!this.#ended && child === this.#child) {
      if (await this.#deps.probe()) {
        if (this.#ended || child !== this.#child) return;
        this.#readyAt = this.#deps.now();
        this.#set("ready", { ready_at: this.#readyAt });
        this.#settle?.();
        this.#deps.onReady?.(pid);
        return;
      }
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
    }
  }

  /** The child exited; `restarting` tells whether the supervisor starts it again. */
  childExited(description: string, restarting: boolean): void {
    this.#child++; // its ready wait ends
    this.#pid = null;
    this.#settle?.();
    if (this.#state === "restarting") return; // a requested restart: the next start follows
    if (restarting) this.#set("crashed", { pid: null, reason: description });
  }

  /** The child's output (for `treehouse logs` of a run in a terminal). */
  output(text: string): void {
    const parts = (this.#partial + text).split("\n");
    this.#partial = parts.pop() ?? "";
    if (this.#partial.length > 4000) {
      parts.push(this.#partial);
      this.#partial = "";
    }
    for (const line of parts) {
      this.#lines.push(line);
      for (const follower of this.#followers) follower(line);
    }
    if (this.#lines.length > KEPT_LINES) this.#lines.splice(0, this.#lines.length - KEPT_LINES);
  }

  /**
   * Restarts the server. Concurrent requests collapse into one; a request while the server is still
   * starting waits for that start first. With `wait`, resolves once the new server is ready (or
   * exited).
   */
  async restart(wait: boolean): Promise<void> {
    const supervisor = this.#supervisor;
    if (!supervisor) throw new Error("this run cannot be restarted yet");
    if (this.#ended) throw new Error("the run is stopping");
    if (!this.#restarting) {
      this.#restarting = (async () => {
        if (this.#state === "starting") await this.#settled;
        if (this.#ended) throw new Error("the run is stopping");
        this.#set("restarting", {});
        await supervisor.restart();
      })().finally(() => (this.#restarting = undefined));
    }
    await this.#restarting;
    if (wait) await this.#settled;
  }

  /** Ends the session: the record says why, the socket goes. */
  async end(state: "stopped" | "crashed", reason: string | null): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#state = state;
    this.#settle?.();
    for (const waiter of this.#endWaiters) waiter();
    this.#followers.clear();
    try {
      endRun(this.#deps.registry, this.#deps.runId, { state, reason, now: this.#deps.now() });
    } catch (error) {
      this.#deps.warn(`Could not record the end of the run: ${(error as Error).message}`);
    }
    await this.#server?.close();
  }

  /** One heartbeat of the record (and the allocation). */
  heartbeat(): "ok" | "busy" | "gone" {
    return runHeartbeat(this.#deps.registry, this.#deps.runId, this.#deps.now());
  }

  #set(state: RunState, patch: Omit<RunUpdate, "now" | "state">): void {
    if (this.#ended) return;
    this.#state = state;
    try {
      updateRun(this.#deps.registry, this.#deps.runId, { ...patch, state, now: this.#deps.now() });
    } catch (error) {
      this.#deps.warn(`Could not record the run's state (${state}): ${(error as Error).message}`);
    }
  }

  #ends(): Promise<void> {
    return this.#ended ? Promise.resolve() : new Promise((r) => this.#endWaiters.push(r));
  }

  #handle: ControlHandler = async (request: ControlRequest, reply) => {
    switch (request.op) {
      case "status":
        await reply.send({ ok: true, status: this.status() });
        return;
      case "restart":
        await this.restart(request.wait);
        await reply.send({ ok: true, status: this.status() });
        return;
      case "stop":
        await reply.send({ ok: true, status: this.status() });
        this.#deps.stopRun();
        return;
      case "logs": {
        const kept = this.#partial ? [...this.#lines, this.#partial] : this.#lines;
        for (const line of request.lines > 0 ? kept.slice(-request.lines) : []) await reply.send({ line });
        if (request.follow && !this.#ended) {
          const queue: string[] = [];
          let wake: (() => void) | undefined;
          const follower = (line: string) => {
            queue.push(line);
            wake?.();
          };
          this.#followers.add(follower);
          const ended = this.#ends();
          let done = false;
          ended.then(() => (done = true));
          reply.closed.then(() => (done = true));
          try {
            while (!done) {
              while (queue.length) await reply.send({ line: queue.shift() as string });
              await Promise.race([new Promise<void>((r) => (wake = r)), ended, reply.closed]);
              wake = undefined;
            }
            while (queue.length) await reply.send({ line: queue.shift() as string });
          } finally {
            this.#followers.delete(follower);
          }
        }
        await reply.send({ ok: true, done: true });
        return;
      }
    }
  };
}
