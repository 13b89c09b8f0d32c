/**
 * Waiting for the registry's write lock, cheaply and with an eye on progress. A burst of processes
 * (200 `treehouse ip` at once on 2 cores) must all be served: waiters back off quickly to long,
 * random pauses (so the pollers do not starve the holder of CPU), and a waiter gives up only when
 * nobody has committed anything for {@link STALL_TIMEOUT_MS} — a holder that keeps the lock — and
 * then names that holder. A holder waiting for the disk is waited for (up to {@link MAX_WAIT_MS}): SQLite
 * syncs the WAL under the write lock when it starts the WAL afresh, and a loaded disk can take seconds.
 */
/** Give up when no process has committed to the registry for this long while we wait. */
export const STALL_TIMEOUT_MS = 10_000;
/** Give up in any case after this long (a burst of thousands still fits; a livelock does not hang). */
export const MAX_WAIT_MS = 300_000;
/** How often a waiter asks whether others commit (each ask is a query; the verdict needs only ~10 s). */
export const PROGRESS_CHECK_MS = 250;
/** The first pause after a busy attempt; each next one is 1.5× longer, up to {@link MAX_PAUSE_MS}. */
export const FIRST_PAUSE_MS = 0.5;
/**
 * The longest pause between attempts. With n waiters the lock sits idle about MAX_PAUSE_MS / 2n after
 * a release, and the waiters' attempts cost about n × 1000 / MAX_PAUSE_MS wake-ups a second.
 */
export const MAX_PAUSE_MS = 40;

/** The pause before attempt `attempt` (0-based), drawn in [0.5, 1.5) × the step (`random` in [0, 1)). */
export function pauseFor(attempt: number, random: number): number {
  const step = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 1.5 ** attempt);
  return step * (0.5 + random);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for about `ms` milliseconds (registry calls are synchronous by design). */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Why a wait ended without the lock. */
export type GiveUp = { kind: "stalled"; waitedMs: number } | { kind: "too-long"; waitedMs: number };

/**
 * One wait for the lock. `progress()` returns a value that changes whenever another process commits
 * (SQLite's `PRAGMA data_version`); while it keeps changing, others are being served and the wait goes
 * on. When it has not changed for {@link STALL_TIMEOUT_MS}, `holderWorks()` (asked once per stall)
 * can say the holder is still at it (waiting for the disk): the wait goes on. Call {@link pause} after
 * each busy attempt.
 */
export class LockWait {
  readonly #progress: () => unknown;
  readonly #now: () => number;
  readonly #holderWorks: () => boolean;
  readonly #started: number;
  #lastProgress: number;
  #lastCheck: number;
  #marker: unknown;
  #attempt = 0;

  constructor(
    progress: () => unknown,
    now: () => number = Date.now,
    holderWorks: () => boolean = () => false,
  ) {
    this.#progress = progress;
    this.#now = now;
    this.#holderWorks = holderWorks;
    this.#started = now();
    this.#lastProgress = this.#started;
    this.#lastCheck = this.#started;
    this.#marker = this.#read();
  }

  /** Sleeps before the next attempt, or returns why waiting longer is pointless. */
  pause(): GiveUp | undefined {
    const now = this.#now();
    // The progress probe is a query of its own: once per PROGRESS_CHECK_MS is enough for a 10 s verdict.
    if (now - this.#lastCheck >= PROGRESS_CHECK_MS) {
      this.#lastCheck = now;
      const marker = this.#read();
      if (marker !== undefined && marker !== this.#marker) {
        this.#marker = marker;
        this.#lastProgress = now;
      }
    }
    if (now - this.#lastProgress >= STALL_TIMEOUT_MS) {
      if (!this.#worksSafely()) return { kind: "stalled", waitedMs: now - this.#started };
      this.#lastProgress = now; // the holder syncs: another stall period before asking again
    }
    if (now - this.#started >= MAX_WAIT_MS) return { kind: "too-long", waitedMs: now - this.#started };
    sleep(pauseFor(this.#attempt++, Math.random()));
    return undefined;
  }

  #worksSafely(): boolean {
    try {
      return this.#holderWorks();
    } catch {
      return false;
    }
  }

  #read(): unknown {
    try {
      return this.#progress();
    } catch {
      return undefined; // the probe itself met the lock: no news
    }
  }
}
