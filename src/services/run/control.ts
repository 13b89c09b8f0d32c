/**
 * A run's control handle: its state as the supervisor moves it, and the requests a collaborator (the
 * control socket, a dashboard) may make of it: restart the child now, or stop the run. Created by the
 * run session before the first spawn and bound by the supervisor while it supervises.
 */

/** Where a run is: the same names as the `runs` table and the control protocol. */
export type RunState = "starting" | "ready" | "restarting" | "crashed" | "stopped";

/** What the supervisor does when asked. */
export interface SupervisorHandle {
  /** Ends the current child and starts it again at once; false when the run is ending. */
  restart(): boolean;
  /** Stops the run as SIGTERM to the wrapper would. */
  stop(): void;
}

/** A run's observable state and its on-demand restart and stop. */
export class RunControl {
  #state: RunState = "starting";
  #listeners = new Set<(state: RunState, control: RunControl) => void>();
  #handle: SupervisorHandle | undefined;
  #pendingStop = false;
  /** The current child's pid, or null between children. */
  pid: number | null = null;
  /** Restarts so far (crash restarts and requested ones). */
  restarts = 0;
  /** When the run started (epoch ms). */
  readonly startedAt: number;
  /** When the current child was last seen ready, or null. */
  readyAt: number | null = null;
  /** How the last child ended (its code, or the signal that killed it), or null before any ended. */
  lastExit: { code: number; signal: Deno.Signal | null } | null = null;
  /** The first start did not answer `--ready` in time (the run ends `crashed` for that). */
  readyTimedOut = false;
  /**
   * While `restarting` after a crash: which of `--restart`'s attempts comes next (the log's "restart 4 of
   * 5") and after how long; null otherwise.
   */
  nextRestart: { attempt: number; of: number; delayMs: number } | null = null;

  constructor(startedAt: number) {
    this.startedAt = startedAt;
  }

  /** The current state. */
  get state(): RunState {
    return this.#state;
  }

  /** Calls `listener` on every change of state; returns a function that unsubscribes it. */
  onState(listener: (state: RunState, control: RunControl) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Asks for a restart of the child now (no backoff, not counted against `--restart`'s limit). */
  restart(): boolean {
    // A crashed child waiting out its restart backoff is restarted at once (issue 15: `treehouse restart`).
    if (this.#state === "stopped") return false;
    return this.#handle?.restart() ?? false;
  }

  /** Asks the run to stop (the child gets SIGTERM, then SIGKILL after the kill timeout). */
  stop(): void {
    if (this.#handle) this.#handle.stop();
    else this.#pendingStop = true;
  }

  /** Supervisor side: connects the requests to a running supervision. */
  bind(handle: SupervisorHandle | undefined): void {
    this.#handle = handle;
    if (handle && this.#pendingStop) {
      this.#pendingStop = false;
      handle.stop();
    }
  }

  /** Supervisor side: moves to `state` and tells the listeners (a listener's error is not the run's). */
  enter(state: RunState, now: number): void {
    if (state === "ready") this.readyAt = now;
    if (state === this.#state) return;
    this.#state = state;
    for (const listener of [...this.#listeners]) {
      try {
        listener(state, this);
      } catch { /* a listener's failure must not end the run */ }
    }
  }
}
