/**
 * The process adapter as one object: what a use case that starts and watches processes needs
 * (`services/run`), so tests and new collaborators get it passed rather than imported.
 */
import type { Host } from "../platform/host.ts";
import { type ExitInfo, onPath, sendSignal, spawn, type Spawned, type SpawnOptions } from "./spawn.ts";
import { Watchdog } from "./watchdog.ts";

/** Starting, signalling and finding processes. */
export interface ProcessAdapter {
  /** Starts a program (argument array, never a shell); see {@link spawn} (`detached` uses the Host's setsid). */
  spawn(command: string, options?: SpawnOptions): Spawned;
  /** Sends `signal` to `pid` (to its whole group with `group`); false when there is no such process. */
  signal(pid: number, signal: Deno.Signal, group: boolean): boolean;
  /** Everything that belongs to a supervised child: its group, descendants and tagged processes. */
  members(child: number, options: { group: boolean; tag: string }): number[];
  /** The path of `name` on `path`, or undefined (no process starts). */
  onPath(name: string, path: string | undefined): string | undefined;
  /** Start time of `pid` in epoch ms, or undefined when it does not run. */
  startTime(pid: number): number | undefined;
  /** True when `pid` runs and started at `startedAt` (when known). */
  isAlive(pid: number, startedAt: number | null): boolean;
  /** A lazy watchdog (its `sh` starts at the first watch) with `graceMs` between SIGTERM and SIGKILL. */
  watchdog(graceMs: number): Watchdog;
  /** Whether this process's stdin is a terminal. */
  stdinIsTerminal(): boolean;
  /** Whether this process's stdout is a terminal (a run's piped output lands on it). */
  stdoutIsTerminal(): boolean;
  /**
   * Whether this process is in its terminal's foreground process group (then a Ctrl-C or a hang-up
   * of the terminal reached its whole group, a child sharing it included); undefined when unknown.
   */
  inTerminalForeground(): boolean | undefined;
  /** The exit code a shell would report (128+N for a death by signal N, N as this OS numbers it). */
  exitCode(info: ExitInfo): number;
  /** The number of `signal` on this OS. */
  signalNumber(signal: Deno.Signal): number | undefined;
}

/** The real processes of the machine `host`. */
export function systemProcess(host: Host): ProcessAdapter {
  return {
    spawn: (command, options = {}) =>
      spawn(
        command,
        options.detached && options.setsid === undefined ? { ...options, setsid: host.setsid() } : options,
      ),
    signal: sendSignal,
    members: host.members,
    onPath,
    startTime: host.startTime,
    isAlive: host.isAlive,
    watchdog: (graceMs) => Watchdog.lazy(graceMs, host.setsid()),
    stdinIsTerminal: () => Deno.stdin.isTerminal(),
    stdoutIsTerminal: () => Deno.stdout.isTerminal(),
    inTerminalForeground: () => host.inTerminalForeground(Deno.pid),
    exitCode: host.exitCode,
    signalNumber: host.signalNumber,
  };
}
