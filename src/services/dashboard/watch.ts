/**
 * Watches a {@link DashboardSource} cheaply: one timer, only while someone listens, that reads the
 * change mark every tick and rebuilds the snapshot when it moved (and every few ticks anyway, since a
 * server can die without the registry changing). Listeners hear only snapshots that differ.
 */
import { type Snapshot, snapshotKey } from "../../core/dashboard.ts";
import type { DashboardSource } from "./source.ts";

/** How often the change mark is read: changes show within about this (plus a render). */
export const WATCH_INTERVAL_MS = 500;
/** Every this many ticks the snapshot is rebuilt even without a change mark (process liveness). */
export const REFRESH_EVERY_TICKS = 4;

/** Options for {@link Watcher}. */
export interface WatcherOptions {
  intervalMs?: number;
  refreshEveryTicks?: number;
  now?: () => number;
  /** Called when reading the source fails (the watcher keeps going). */
  onError?: (error: unknown) => void;
}

/** A shared watcher: subscribe to get every new snapshot; the timer runs only while subscribed. */
export class Watcher {
  readonly #source: DashboardSource;
  readonly #interval: number;
  readonly #every: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #listeners = new Set<(snapshot: Snapshot) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #mark: number | undefined;
  #key: string | undefined;
  #ticks = 0;
  #busy = false;

  constructor(source: DashboardSource, options: WatcherOptions = {}) {
    this.#source = source;
    this.#interval = options.intervalMs ?? WATCH_INTERVAL_MS;
    this.#every = options.refreshEveryTicks ?? REFRESH_EVERY_TICKS;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
  }

  /** The current snapshot, rebuilt now (listeners hear it too when it changed). */
  current(): Promise<Snapshot> {
    this.#mark = this.#source.changeMark();
    return this.#rebuild();
  }

  /** Calls `listener` with every changed snapshot until the returned function is called. */
  subscribe(listener: (snapshot: Snapshot) => void): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.#interval);
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Rebuilds at the next tick whatever the change mark says (after an action of our own). */
  poke(): void {
    this.#mark = undefined;
  }

  /** Stops the timer (subscribers stay registered but hear nothing more). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    if (this.#busy) return; // a slow rebuild: skip ticks rather than pile them up
    this.#busy = true;
    try {
      this.#ticks++;
      const mark = this.#source.changeMark();
      if (mark === this.#mark && this.#ticks % this.#every !== 0) return;
      this.#mark = mark;
      await this.#rebuild();
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#busy = false;
    }
  }

  async #rebuild(): Promise<Snapshot> {
    const snapshot = await this.#source.snapshot(this.#now());
    const key = snapshotKey(snapshot);
    if (key !== this.#key) {
      const first = this.#key === undefined;
      this.#key = key;
      if (!first) { for (const listener of this.#listeners) listener(snapshot); }
    }
    return snapshot;
  }
}
