/**
 * Is a recorded process still the one we recorded? A pid alone is not enough: pids are reused after
 * a reboot, so treehouse records the process start time too and compares both.
 */
import { isGoneState, parseProcStat, type ProcStat } from "../../core/proc-stat.ts";
import { probeOutput } from "../process/spawn.ts";

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
