/** Parsing Linux's `/proc/<pid>/stat` line, the one place that knows its layout. Pure. */

/** The fields of `/proc/<pid>/stat` treehouse uses. */
export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead)… */
  state: string;
  ppid: number;
  pgrp: number;
  /** The foreground process group of the controlling terminal (-1 without one). */
  tpgid: number;
  /** Start time after boot, in clock ticks (100 per second on Linux). */
  startTicks: number;
}

/**
 * Parses a stat line. The command name may hold spaces and parentheses, so the fields are counted
 * from after the last ")". Undefined for text that is not a stat line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  // After "pid (comm) ": state ppid pgrp session tty_nr tpgid flags … starttime is field 22 (index 19 here).
  const fields = text.slice(close + 2).split(" ");
  const pid = Number(text.slice(0, text.indexOf(" ")));
  const stat = {
    pid,
    state: fields[0] ?? "",
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    tpgid: Number(fields[5]),
    startTicks: Number(fields[19]),
  };
  return Number.isInteger(pid) && Number.isInteger(stat.ppid) ? stat : undefined;
}

/** True for a zombie or dead process (gone for every purpose of treehouse). */
export function isGoneState(state: string): boolean {
  return state === "Z" || state === "X";
}
