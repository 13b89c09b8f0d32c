/**
 * The machine treehouse runs on, with behaviour: its operating system and the probes that differ by
 * it (processes from `/proc` on Linux, `ps` elsewhere; sockets from `/proc/net` on Linux, `lsof`
 * elsewhere; setsid(1); signal numbers). The CLI runner builds one per command from `Deno.build.os` and
 * passes it down; what is looked up once (the boot time, setsid's path) is this object's state.
 * The probes follow the real system even when `TREEHOUSE_PLATFORM` picks the other setup flavour.
 */
import {
  type CommandEntry,
  commandLine,
  inTerminalForeground,
  listCommands,
  listProcesses,
  parentOf,
  type ProcessEntry,
  processStartTime,
  readBootTimeMs,
  runMembers,
  sameProcess,
} from "../proc/process-info.ts";
import { exitCodeOf, type ExitInfo, findSetsid, signalNumber } from "../process/spawn.ts";
import {
  findPortHolders,
  listeningAddresses,
  listeningAddressesAsync,
  type PortHolder,
  type PortOwner,
  portOwners,
} from "../net/listeners.ts";
import {
  checkPortFree,
  makeProbe,
  type Occupancy,
  type OccupancyChecks,
  type PortCheck,
} from "../net/occupancy.ts";

/** The machine's operating system and its process and socket probes. */
export interface Host {
  /** `Deno.build.os` ("linux", "darwin"…), as the entry read it. */
  readonly os: string;
  /** Start time of `pid` in epoch ms, or undefined when it does not run. */
  startTime(pid: number): number | undefined;
  /** True when `pid` runs and started at `startedAt` (when known): pids are reused. */
  isAlive(pid: number, startedAt: number | null): boolean;
  /** The parent pid of `pid`, or undefined when it is gone. */
  parentOf(pid: number): number | undefined;
  /** The command line of `pid` as words, or undefined when it is gone. */
  commandLine(pid: number): string[] | undefined;
  /** Whether `pid`'s process group is its terminal's foreground group; undefined where not known. */
  inTerminalForeground(pid: number): boolean | undefined;
  /** Every process visible to us. */
  processes(): ProcessEntry[];
  /** The processes whose command line `wanted` accepts, with their parent and words. */
  commands(wanted: (argv: readonly string[]) => boolean): CommandEntry[];
  /** Everything that belongs to a supervised child: its group, descendants and tagged processes. */
  members(child: number, options: { group: boolean; tag: string }): number[];
  /** Addresses with a TCP socket listening at `port`. */
  listeners(port: number): string[];
  /** {@link listeners} without holding the event loop where the OS allows (Linux). */
  listenersAsync(port: number): Promise<string[]>;
  /** Who listens on `port` in a way that collides with `ip` (best effort). */
  portHolders(ip: string, port: number): PortHolder[];
  /** The processes holding `port` (TCP listeners, bound UDP sockets), best effort. */
  portOwners(port: number): PortOwner[];
  /** An occupancy probe for these checks (UDP where the OS lists its sockets). */
  probe(checks: OccupancyChecks): (port: number) => Occupancy;
  /** The bind probe: can a TCP listener bind `ip:port` now? */
  bindCheck(ip: string, port: number): PortCheck;
  /** The path of setsid(1), or undefined (then a new session is Deno's `detached`). */
  setsid(): string | undefined;
  /** The number of `signal` on this OS. */
  signalNumber(signal: Deno.Signal): number | undefined;
  /** The exit code a shell would report for `info` (128+N for a death by signal N). */
  exitCode(info: ExitInfo): number;
}

/** The machine this process runs on, for `os` (`Deno.build.os`, read by the CLI runner). */
export function systemHost(os: string): Host {
  let bootTimeMs: number | undefined;
  let setsid: { path: string | undefined } | undefined;
  const bootTime = () => bootTimeMs ??= readBootTimeMs();
  const startTime = (pid: number) => processStartTime(pid, os, bootTime);
  return {
    os,
    startTime,
    isAlive: (pid, startedAt) => sameProcess(startTime(pid), startedAt),
    parentOf: (pid) => parentOf(pid, os),
    commandLine: (pid) => commandLine(pid, os),
    inTerminalForeground,
    processes: () => listProcesses(os),
    commands: (wanted) => listCommands(os, wanted),
    members: (child, options) => runMembers(child, options, os),
    listeners: (port) => listeningAddresses(port, os),
    listenersAsync: (port) => listeningAddressesAsync(port, os),
    portHolders: (ip, port) => findPortHolders(ip, port, os),
    portOwners: (port) => portOwners(port, os),
    probe: (checks) => makeProbe(checks, os),
    bindCheck: checkPortFree,
    setsid: () => (setsid ??= { path: findSetsid(os) }).path,
    signalNumber: (signal) => signalNumber(signal, os),
    exitCode: (info) => exitCodeOf(info, os),
  };
}
