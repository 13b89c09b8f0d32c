/**
 * The processes of this machine, from `/proc` on Linux and `ps` elsewhere (the `Host` picks by OS):
 * whether a recorded process is still the one recorded (a pid alone is not enough: pids are reused
 * after a reboot, so treehouse records the start time too and compares both), parents and command
 * lines, the process list, and everything a supervised child left behind: its process group, its
 * descendants, and (on Linux) anything carrying its `TREEHOUSE_RUN_ID` tag in `/proc/<pid>/environ`,
 * which survives double forks and `setsid`.
 */
import { isGoneState, parseProcStat, type ProcStat } from "../../core/proc-stat.ts";
import { probeOutput, runProgram } from "../process/spawn.ts";

/** `/proc/<pid>/stat`, parsed; undefined when the process (or /proc) is not there. */
export function readProcStat(pid: number | string): ProcStat | undefined {
  try {
    return parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/** `/proc/<pid>/cmdline` as words; undefined when the process (or /proc) is not there. */
export function readCmdline(pid: number | string): string[] | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean);
  } catch {
    return undefined;
  }
}

/** Start times may differ by clock-tick rounding; within this many ms they are the same process. */
const START_TOLERANCE_MS = 2000;

/**
 * Start time of `pid` in epoch milliseconds, or `undefined` when no such process exists. On Linux from
 * `/proc/<pid>/stat` and the boot time (`bootTimeMs`, asked only when needed: the caller keeps it),
 * elsewhere from `ps`.
 */
export function processStartTime(pid: number, os: string, bootTimeMs: () => number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (os === "linux") return linuxStartTime(pid, bootTimeMs);
  return psStartTime(pid);
}

/** True when a process that started at `start` (undefined: it does not run) is the one recorded as `startedAt`. */
export function sameProcess(start: number | undefined, startedAt: number | null): boolean {
  if (start === undefined) return false;
  if (startedAt === null) return true;
  return Math.abs(start - startedAt) <= START_TOLERANCE_MS;
}

function linuxStartTime(pid: number, bootTimeMs: () => number): number | undefined {
  const stat = readProcStat(pid);
  if (!stat || isGoneState(stat.state)) return undefined; // gone, zombie or dead
  const ticks = stat.startTicks;
  if (!Number.isFinite(ticks)) return undefined;
  return bootTimeMs() + Math.round((ticks * 1000) / 100);
}

/** When Linux booted, in epoch ms (`btime` of `/proc/stat`); 0 when unknown. */
export function readBootTimeMs(): number {
  try {
    const match = /^btime (\d+)$/m.exec(Deno.readTextFileSync("/proc/stat"));
    return match ? Number(match[1]) * 1000 : 0;
  } catch {
    return 0;
  }
}

function psStartTime(pid: number): number | undefined {
  const out = probeOutput("ps", ["-o", "lstart=", "-p", String(pid)]);
  if (!out || out.code !== 0) return undefined;
  const ms = Date.parse(out.stdout.trim());
  return Number.isNaN(ms) ? undefined : ms;
}

/** The parent pid of `pid`, or undefined when it is gone. */
export function parentOf(pid: number, os: string): number | undefined {
  if (os === "linux") {
    return readProcStat(pid)?.ppid;
  }
  const out = probeOutput("ps", ["-o", "ppid=", "-p", String(pid)]);
  const ppid = Number(out?.stdout.trim());
  return out && Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** The command line of `pid` as words, or undefined when it is gone. */
export function commandLine(pid: number, os: string): string[] | undefined {
  if (os === "linux") {
    return readCmdline(pid);
  }
  const out = probeOutput("ps", ["-o", "command=", "-p", String(pid)]);
  return out?.stdout.trim() ? out.stdout.trim().split(/\s+/) : undefined;
}

/**
 * Whether `pid`'s process group is the foreground group of its controlling terminal (Linux: fields
 * `pgrp` and `tpgid` of `/proc/<pid>/stat`); undefined where that is not known.
 */
export function inTerminalForeground(pid: number): boolean | undefined {
  const stat = readProcStat(pid);
  if (!stat || !Number.isInteger(stat.pgrp) || !Number.isInteger(stat.tpgid) || stat.tpgid <= 0) {
    return undefined;
  }
  return stat.pgrp === stat.tpgid;
}

/** One process as the tree walk needs it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  /** Start time after boot in clock ticks (Linux; undefined elsewhere). */
  startTicks?: number;
}

/** Every process visible to us (Linux: `/proc`; elsewhere: `ps`). */
export function listProcesses(os: string): ProcessEntry[] {
  if (os === "linux") return linuxProcesses();
  return psProcesses();
}

function linuxProcesses(): ProcessEntry[] {
  const result: ProcessEntry[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = readProcStat(entry.name);
    if (!stat || isGoneState(stat.state)) continue; // gone meanwhile, zombie or dead
    result.push({ pid: stat.pid, ppid: stat.ppid, pgid: stat.pgrp, startTicks: stat.startTicks });
  }
  return result;
}

function psProcesses(): ProcessEntry[] {
  const out = probeOutput("ps", ["-axo", "pid=,ppid=,pgid=,stat="]);
  if (!out) return [];
  return out.stdout.split("\n").map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && !(f[3] ?? "").startsWith("Z"))
    .map((f) => ({ pid: Number(f[0]), ppid: Number(f[1]), pgid: Number(f[2]) }));
}

/** A process with its command line. */
export interface CommandEntry {
  pid: number;
  ppid: number;
  argv: string[];
}

/**
 * The processes whose command line `wanted` accepts (Linux: `/proc/<pid>/cmdline`, the stat read only
 * for those; elsewhere: `ps`, which must be installed).
 */
export function listCommands(os: string, wanted: (argv: readonly string[]) => boolean): CommandEntry[] {
  const found: CommandEntry[] = [];
  if (os === "linux") {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const argv = readCmdline(entry.name);
      if (!argv || !wanted(argv)) continue;
      const stat = readProcStat(entry.name);
      if (stat) found.push({ pid: stat.pid, ppid: stat.ppid, argv }); // else: exited meanwhile
    }
    return found;
  }
  const ps = runProgram(["ps", "-axo", "pid=,ppid=,args="]);
  for (const line of ps.stdout.split("\n")) {
    const [pid, ppid, ...argv] = line.trim().split(/\s+/);
    if (pid && ppid && wanted(argv)) found.push({ pid: Number(pid), ppid: Number(ppid), argv });
  }
  return found;
}

/** Pids of `root`'s descendants (not `root` itself), from a process list. Pure. */
export function descendants(processes: readonly ProcessEntry[], root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  const seen = new Set<number>([root]);
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Pids whose environment holds `TREEHOUSE_RUN_ID=<tag>` (Linux only; empty elsewhere). */
export function taggedProcesses(tag: string, os: string, processes?: readonly ProcessEntry[]): number[] {
  if (os !== "linux" || tag === "") return [];
  const needle = new TextEncoder().encode(`\0TREEHOUSE_RUN_ID=${tag}\0`);
  const found: number[] = [];
  // Asked by the run's own wrapper (the tag starts with its pid, see run/session.ts): a tagged process
  // started after it, so older ones need no environ read (on a busy machine that is most of them; it
  // keeps a restart's leftover check to a few ms).
  const since = tag.startsWith(`${Deno.pid}-`) ? readProcStat(Deno.pid)?.startTicks : undefined;
  for (const p of processes ?? linuxProcesses()) {
    if (p.pid === Deno.pid) continue;
    if (since !== undefined && p.startTicks !== undefined && p.startTicks < since) continue;
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(`/proc/${p.pid}/environ`);
    } catch {
      continue;
    }
    if (containsVar(bytes, needle)) found.push(p.pid);
  }
  return found;
}

/** True when the NUL-separated environment block holds the `\0NAME=value\0` needle (or starts with it). */
function containsVar(block: Uint8Array, needle: Uint8Array): boolean {
  const padded = new Uint8Array(block.length + 2);
  padded.set(block, 1);
  outer: for (let i = 0; i + needle.length <= padded.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (padded[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

/**
 * Everything that belongs to a supervised run: the child, its process group when it leads one, its
 * descendants, and the tagged processes. The caller's own pid is never included.
 */
export function runMembers(child: number, options: { group: boolean; tag: string }, os: string): number[] {
  const processes = listProcesses(os);
  const members = new Set<number>();
  if (processes.some((p) => p.pid === child)) members.add(child);
  if (options.group) { for (const p of processes) if (p.pgid === child) members.add(p.pid); }
  for (const pid of descendants(processes, child)) members.add(pid);
  for (const pid of taggedProcesses(options.tag, os, processes)) members.add(pid);
  members.delete(Deno.pid);
  return [...members];
}
