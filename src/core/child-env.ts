/**
 * The child's command line and environment for `treehouse run`. Pure: everything comes in as data.
 */
import { parseDuration } from "./duration.ts";

/** What a run announces to its child. */
export interface RunValues {
  ip: string;
  port: number;
  /** Full hostname, `<label>.local`. */
  host: string;
  url: string;
  branch: string;
  db: string;
  /** `run --https`: the leaf certificate and key files (`{cert}` `{key}`). */
  cert?: string;
  key?: string;
}

const PLACEHOLDER = /\{(ip|port|host|url|branch|db|cert|key)\}/g;

/**
 * Replaces `{ip}` `{port}` `{host}` `{url}` `{branch}` `{db}` (and with `run --https` `{cert}` `{key}`)
 * in one argument; other braces stay.
 */
export function expandPlaceholders(arg: string, v: RunValues): string {
  return arg.replace(PLACEHOLDER, (whole, key: string) => {
    switch (key) {
      case "cert":
        return v.cert ?? whole;
      case "key":
        return v.key ?? whole;
      case "ip":
        return v.ip;
      case "port":
        return String(v.port);
      case "host":
        return v.host;
      case "url":
        return v.url;
      case "branch":
        return v.branch;
      default:
        return v.db;
    }
  });
}

/** The URL of a server on `host` at `port` (no `:80`). */
export function urlFor(host: string, port: number): string {
  return port === 80 ? `http://${host}` : `http://${host}:${port}`;
}

/**
 * The variables `run` adds to the child's environment: `TREEHOUSE_*`, the run's tag, and (unless
 * `envPort` is false) the conventional `HOST` and `PORT`. `extra` (reservation ports…) comes first
 * so treehouse's own names win.
 */
export function childVariables(
  v: RunValues,
  options: { envPort: boolean; runId: string; extra?: Record<string, string> },
): Record<string, string> {
  const vars: Record<string, string> = {
    ...options.extra,
    TREEHOUSE_IP: v.ip,
    TREEHOUSE_HOST: v.host,
    TREEHOUSE_PORT: String(v.port),
    TREEHOUSE_URL: v.url,
    TREEHOUSE_BRANCH: v.branch,
    TREEHOUSE_DB_NAME: v.db,
    TREEHOUSE_RUN_ID: options.runId,
  };
  if (options.envPort) {
    vars.HOST = v.ip;
    vars.PORT = String(v.port);
  }
  return vars;
}

/** Restart backoff of `--restart on-failure`: 1, 2, 4, 8, 16 s. */
export const RESTART_BACKOFF_MS: readonly number[] = [1000, 2000, 4000, 8000, 16000];

/**
 * `TREEHOUSE_RESTART_BACKOFF`: the first step; the backoff doubles from it (1, 2, 4, 8, 16 s by
 * default). Undefined when unset or empty (the default backoff).
 */
export function restartBackoffFrom(value: string | undefined): number[] | undefined {
  if (value === undefined || value === "") return undefined;
  const firstStepMs = parseDuration(value, "TREEHOUSE_RESTART_BACKOFF");
  return RESTART_BACKOFF_MS.map((step) => (step / 1000) * firstStepMs);
}

/** Backoff before restarting a dead mDNS announcer: 1, 2, 4… s, slowing to one try every 2 min. Pure. */
export function announcerBackoffMs(restarts: number): number {
  return Math.min(120_000, 1000 * 2 ** Math.max(0, restarts));
}

/** The next step of a restart schedule: the restarts counted so far (reset by a healthy run) and the wait. */
export interface NextRestart {
  /** Restarts so far: 0 again after a healthy run. */
  restarts: number;
  /** How long to wait before the restart, or undefined to give up. */
  delayMs: number | undefined;
  /** The process had run at least `healthyAfterMs` (a new outage, not the same one going on). */
  afterHealthyRun: boolean;
}

/**
 * The one restart schedule of the run's child and of the mDNS announcer: a process that ran at least
 * `healthyAfterMs` starts a fresh series, else the series goes on; `delayFor` gives the wait of the
 * restart after `restarts` earlier ones. Pure.
 */
export function nextRestart(
  ranMs: number,
  restartsSoFar: number,
  healthyAfterMs: number,
  delayFor: (restarts: number) => number | undefined,
): NextRestart {
  const afterHealthyRun = ranMs >= healthyAfterMs;
  const restarts = afterHealthyRun ? 0 : restartsSoFar;
  return { restarts, delayMs: delayFor(restarts), afterHealthyRun };
}

/**
 * Whether to restart after an exit, and after how long: only with `on-failure`, only for a
 * failure (non-zero), at most {@link RESTART_BACKOFF_MS}.length times. Pure.
 */
export function restartDelay(
  policy: "no" | "on-failure",
  exitCode: number,
  restartsSoFar: number,
  backoff: readonly number[] = RESTART_BACKOFF_MS,
): number | undefined {
  if (policy !== "on-failure" || exitCode === 0) return undefined;
  return backoff[restartsSoFar];
}

/** Keeps the last `max` lines of a stream of text chunks (for a failed `--ready`). */
export class LineTail {
  #lines: string[] = [];
  #partial = "";
  constructor(readonly max = 20) {}

  /** Adds a chunk of text. */
  push(text: string): void {
    const parts = (this.#partial + text).split("\n");
    this.#partial = parts.pop() ?? "";
    this.#lines.push(...parts);
    if (this.#partial.length > 4000) {
      this.#lines.push(this.#partial);
      this.#partial = "";
    }
    if (this.#lines.length > this.max) this.#lines.splice(0, this.#lines.length - this.max);
  }

  /** The kept lines, the unfinished last one included. */
  lines(): string[] {
    const all = this.#partial ? [...this.#lines, this.#partial] : [...this.#lines];
    return all.slice(-this.max);
  }
}
