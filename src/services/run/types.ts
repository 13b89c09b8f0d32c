/**
 * The shapes of `treehouse run` as a use case: what it is asked (`RunRequest`), what it is given
 * (`RunDeps`, one explicit object), and how new features plug into it (`RunCollaborator` hooks on a
 * `RunSession`). See /work/wt/notes/RUN-HOOKS.md and README "Design".
 */
import type { AnnouncerEvents, MdnsTool } from "../../adapters/mdns.ts";
import type { PortHolder } from "../../adapters/net/listeners.ts";
import type { PortCheck } from "../../adapters/net/occupancy.ts";
import type { ProbeFactory } from "../reserve/reserve.ts";
import type { Platform } from "../../adapters/platform/platform.ts";
import type { ProcessAdapter } from "../../adapters/process/adapter.ts";
import type { Watchdog } from "../../adapters/process/watchdog.ts";
import type { RunValues } from "../../core/child-env.ts";
import type { Allocation } from "../../registry/allocations.ts";
import type { Env } from "../../registry/path.ts";
import type { Registry } from "../../registry/registry.ts";
import type { Settings } from "../settings.ts";
import type { Target } from "../target.ts";
import type { RunControl } from "./control.ts";

/** What `treehouse run` is asked to do (the CLI's flags, parsed and defaulted). */
export interface RunRequest {
  /** The program (placeholders not yet expanded) and its arguments. */
  command: string;
  args: readonly string[];
  target: Target;
  settings: Settings;
  port: number;
  /** `--name`: an extra hostname label for this run's lifetime (the branch keeps its own). */
  name?: string;
  mdns: boolean;
  envPort: boolean;
  restart: "no" | "on-failure";
  /** `--ready PORT|URL` as given. */
  ready?: string;
  readyTimeoutMs: number;
  killTimeoutMs: number;
  /** The restart backoff steps (`TREEHOUSE_RESTART_BACKOFF`), or the default. */
  backoffMs?: readonly number[];
  quiet: boolean;
  /** `--hosts`: keep the hosts file's block in sync at start. */
  hosts: boolean;
}

/** The banner shown before the child starts. */
export interface RunBanner {
  branch: string;
  url: string;
  /** `[label, value]` rows: Branch, IP, Hostname, URL, Database, Command, then the collaborators' own. */
  rows: readonly (readonly [string, string])[];
}

/** Where the run's messages go (stderr in the CLI); the service never prints itself. */
export interface RunOutput {
  banner(banner: RunBanner): void;
  /** A plain message (`treehouse: restarting…`). */
  info(text: string): void;
  /** A warning (the server runs anyway). */
  warn(text: string): void;
  /** The server answered `--ready`. */
  ready(url: string): void;
}

/** Something that keeps one announcer process running (adapters/mdns.ts `Announcer`). */
export interface AnnouncerLike {
  start(): void;
  stop(): Promise<void>;
}

/** Makes announcers; a seam so tests and other platforms can pass their own. */
export type AnnouncerFactory = (tool: MdnsTool, args: string[], events: AnnouncerEvents) => AnnouncerLike;

/** Bind probes and holders of IP:port, occupancy probes for group ports (the Host's, adapters/net). */
export interface NetAdapter {
  checkPortFree(ip: string, port: number): PortCheck;
  findPortHolders(ip: string, port: number): PortHolder[];
  /** An occupancy probe for the reservation group's ports (see `reserve`). */
  probe: ProbeFactory;
}

/** Everything the run use case uses, passed in once (the CLI builds it in `src/cli/run-deps.ts`). */
export interface RunDeps {
  registry: Registry;
  /** The clock (epoch ms). */
  now(): number;
  /** A new run's id (`TREEHOUSE_RUN_ID`, unique on this machine), for a run starting at `now`. */
  runId(now: number): string;
  platform: Platform;
  process: ProcessAdapter;
  net: NetAdapter;
  announcers: AnnouncerFactory;
  env: Env;
  cwd: string;
  output: RunOutput;
  /** New features, in order; their hooks run after the built-in ones (liveness, mDNS). */
  collaborators: readonly RunCollaborator[];
}

/** One `treehouse run` as its collaborators see it. */
export interface RunSession {
  readonly request: RunRequest;
  readonly deps: RunDeps;
  /** The branch's allocation. */
  readonly allocation: Allocation;
  /** The hostname label this run serves under: the allocation's, or `--name`'s (made unique). */
  readonly label: string;
  /** ip, port, host, url, branch, db: what the child is told. */
  readonly values: RunValues;
  /** The run's tag (`TREEHOUSE_RUN_ID`), unique per run. */
  readonly runId: string;
  /** The command line after placeholder expansion. */
  readonly command: readonly string[];
  /** The run's state, restart-now and stop. */
  readonly control: RunControl;
  /** The watchdog: `watch(-pgid)` a helper process so it dies with a SIGKILLed wrapper. */
  readonly watchdog: Watchdog;
  /** Adds (or overrides) a variable of the child's environment. Only during `prepare`. */
  setEnv(name: string, value: string): void;
  /** Adds a row to the banner. Only during `prepare`. */
  addBannerRow(label: string, value: string): void;
  /**
   * Changes what the child and the banner are told: the best `url` (`run --https`), `cert` and `key` for
   * the `{cert}` `{key}` placeholders. Placeholders are expanded after every `prepare`. Only during `prepare`.
   */
  setValues(changes: Partial<Pick<RunValues, "url" | "cert" | "key">>): void;
  /** Receives every chunk of the child's output (turns on capture). Only during `prepare`. */
  tapOutput(tap: (chunk: Uint8Array, stream: "stdout" | "stderr") => void): void;
}

/**
 * A feature that plugs into `treehouse run`. Every hook is optional; hooks run in the order the
 * collaborators are listed. A hook that throws a TreehouseError in `prepare` stops the run before the
 * child starts (exit code of the error); errors in the other hooks are warnings (the server matters more).
 */
export interface RunCollaborator {
  /** Named in warnings. */
  readonly name: string;
  /** Before the first spawn, after the port check: add variables and banner rows, or abort. */
  prepare?(session: RunSession): void | Promise<void>;
  /** After every spawn (first start and each restart), with the child's pid. */
  spawned?(session: RunSession, pid: number): void;
  /** The child is ready (`--ready` answered, or right after the spawn without `--ready`); after restarts too. */
  ready?(session: RunSession): void;
  /** At shutdown, after the child has ended; may be called more than once: make it idempotent. */
  stopping?(session: RunSession): void | Promise<void>;
}
