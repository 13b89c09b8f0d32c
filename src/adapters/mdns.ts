/**
 * Announcing `<label>.local` over mDNS while a server runs: macOS `dns-sd -P`, Linux `avahi-publish`.
 * The announcer runs in its own process group, is restarted with backoff if it dies while the server
 * runs, and is always ended with the wrapper (the watchdog covers a SIGKILLed wrapper).
 */
import { ipv6NameAddress } from "../core/name-address.ts";
import { announcerBackoffMs, nextRestart } from "../core/child-env.ts";
import { sendSignal, spawn, type Spawned } from "./process/spawn.ts";

/** Which program announces names. */
export type MdnsTool = "dns-sd" | "avahi-publish";

/** What to announce. */
export interface Announcement {
  /** Hostname label, without `.local`. */
  label: string;
  ip: string;
  port: number;
}

/**
 * The announcer command lines for `tool`, one process each. Pure. dns-sd's `-P` publishes the address
 * and an `_http._tcp` service in one (`-lo` first: to this machine only, mDNSResponder's LocalOnly
 * interface); avahi needs the address (`-a -R`), its IPv6 name address and the service (`-s -H`) apart,
 * and has no way to keep them off the network.
 */
export function announceArgs(tool: MdnsTool, a: Announcement, localOnly = false): string[][] {
  const host = `${a.label}.local`;
  if (tool === "dns-sd") {
    return [[
      ...(localOnly ? ["-lo"] : []),
      "-P",
      a.label,
      "_http._tcp",
      "local",
      String(a.port),
      host,
      a.ip,
    ]];
  }
  return [
    ["-a", "-R", host, a.ip],
    ["-a", "-R", host, ipv6NameAddress(a.ip)], // the AAAA answer, so resolvers asking for it never wait
    ["-s", "-H", host, a.label, "_http._tcp", String(a.port)],
  ];
}

/**
 * Picks the announcer: `dns-sd` on macOS; on other systems `avahi-publish`, else `dns-sd` (Apple's
 * mDNSResponder is packaged for Linux too). `undefined` when neither is on `PATH`.
 */
export function chooseMdnsTool(os: string, onPath: (name: string) => boolean): MdnsTool | undefined {
  if (os === "darwin") return onPath("dns-sd") ? "dns-sd" : undefined;
  if (onPath("avahi-publish")) return "avahi-publish";
  if (onPath("dns-sd")) return "dns-sd";
  return undefined;
}

/** The warning shown when no announcer exists, with the fix for this OS (`hostsSync`: the sudo command). */
export function missingMdnsMessage(
  os: string,
  host: string,
  ip: string,
  hostsSync: string,
  install = "sudo apt-get install avahi-daemon avahi-utils libnss-mdns (or your distribution's avahi)",
): string {
  const fix = os === "darwin"
    ? "dns-sd ships with macOS; check that /usr/bin is on PATH"
    : `install it: ${install}`;
  return `No mDNS announcer found, so ${host} will not resolve: ${fix}; or put the names in /etc/hosts ` +
    `with ${hostsSync} ("${ip} ${host}"). ` +
    `The server runs anyway (use --no-mdns to silence this)`;
}

export { announcerBackoffMs };

/** An announcer that ran more than a minute earns a fresh backoff. */
const HEALTHY_ANNOUNCER_MS = 60_001;

/** An announcer's exit as {@link AnnouncerEvents.onFailure} sees it. */
export interface AnnouncerFailure {
  /** Its last stderr line, or its exit code. */
  why: string;
  /** When it will be started again. */
  delayMs: number;
  /** It had run a minute or more (a new outage, not the same one going on). */
  afterHealthyRun: boolean;
}

/** The daemon the announcer needs is not running (avahi-daemon, mDNSResponder). Pure. */
export function isDaemonDown(why: string): boolean {
  return /daemon not running|daemon connection failed|failed to create client|no such file or directory.*socket|service not running/i
    .test(why);
}

/**
 * The name is already answered on the network. avahi-publish then says "Name collision, picking new
 * name 'x-2'." and goes on under that name (it does not exit); dns-sd says "Name conflict".
 */
export function isNameConflict(line: string): boolean {
  return /name conflict|name collision/i.test(line);
}

/** Callbacks of the {@link Announcer}. */
export interface AnnouncerEvents {
  /** A new announcer process started (the caller hands its group to the watchdog). */
  onStart(pid: number): void;
  /** An announcer process ended (the caller takes it off the watchdog's list). */
  onExit?(pid: number): void;
  /** A message for the user (announcer died, restarting). */
  onMessage(text: string): void;
  /**
   * The announcer exited: return false to leave it stopped. Without it, every exit is a message and a
   * restart.
   */
  onFailure?(failure: AnnouncerFailure): boolean;
  /** Each line the announcer writes to stderr while it runs (a collision is reported this way). */
  onLine?(line: string): void;
}

/** Keeps one announcer process (one of {@link announceArgs}' command lines) running until {@link Announcer.stop}. */
export class Announcer {
  #child: Spawned | undefined;
  #stopped = false;
  #restarts = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly tool: MdnsTool;
  readonly args: string[];
  readonly #env: Record<string, string>;
  readonly #events: AnnouncerEvents;

  constructor(tool: MdnsTool, args: string[], env: Record<string, string>, events: AnnouncerEvents) {
    this.tool = tool;
    this.args = args;
    this.#env = env;
    this.#events = events;
  }

  /** Starts the announcer (throws a MissingToolError when the program cannot be started). */
  start(): void {
    if (this.#stopped) return;
    const child = spawn(this.tool, {
      args: this.args,
      env: this.#env,
      detached: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      tool: true,
    });
    this.#child = child;
    this.#events.onStart(child.pid);
    const lastLine = lastLineOf(child.process.stderr, (line) => {
      if (!this.#stopped && this.#child === child) this.#events.onLine?.(line);
    });
    const started = Date.now();
    child.exited.then(async (info) => {
      this.#events.onExit?.(child.pid);
      if (this.#stopped || this.#child !== child) return;
      this.#child = undefined;
      const next = nextRestart(
        Date.now() - started,
        this.#restarts,
        HEALTHY_ANNOUNCER_MS,
        announcerBackoffMs,
      );
      const { afterHealthyRun } = next;
      this.#restarts = next.restarts + 1;
      const delay = next.delayMs as number;
      const why = (await lastLine) || `exit code ${info.code}`;
      if (this.#stopped) return; // stopped while its last words were read
      if (this.#events.onFailure) {
        if (!this.#events.onFailure({ why, delayMs: delay, afterHealthyRun })) return;
      } else {
        this.#events.onMessage(
          `mDNS announcer ${this.tool} exited (${why}); restarting it in ${Math.round(delay / 1000)}s`,
        );
      }
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        try {
          this.start();
        } catch (error) {
          this.#events.onMessage(`mDNS announcer could not restart: ${(error as Error).message}`);
        }
      }, delay);
    });
  }

  /** Pid of the current announcer process. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Ends the announcer (its whole group) and stops restarting it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const child = this.#child;
    this.#child = undefined;
    if (!child) return;
    sendSignal(child.pid, "SIGTERM", true);
    const killer = setTimeout(() => sendSignal(child.pid, "SIGKILL", true), 2000);
    await child.exited;
    clearTimeout(killer);
  }
}

/** Reads a stream to its end and returns its last non-empty line (trimmed). */
async function lastLineOf(
  stream: ReadableStream<Uint8Array>,
  onLine?: (line: string) => void,
): Promise<string> {
  let tail = "";
  let partial = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      tail = (tail + text).slice(-2000);
      if (!onLine) continue;
      const lines = (partial + text).split("\n");
      partial = (lines.pop() ?? "").slice(-2000);
      for (const line of lines) if (line.trim()) onLine(line.trim());
    }
  } catch { /* closed */ }
  const lines = tail.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? "";
}
