/** The announcers check: running announcers that are stale or orphaned (`--fix` ends them). */
import { ipToInt } from "../../core/pool.ts";
import { readCmdline, readProcStat } from "../../adapters/proc/process-info.ts";
import { runProgram } from "../../adapters/process/spawn.ts";
import { type AnnouncerProcess, type Check, isAnnouncer, staleAnnouncers } from "./checks.ts";
import { hostsEntries } from "../hosts.ts";
import { runAnnouncements } from "../control/doctor.ts";
import { renderHostname } from "../../core/hostname-template.ts";
import { type DoctorContext, noRegistry, problem } from "./context.ts";

function listAnnouncerProcesses(os: string): AnnouncerProcess[] {
  const found: AnnouncerProcess[] = [];
  if (os === "linux") {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const argv = readCmdline(entry.name);
      if (!argv || !isAnnouncer(argv)) continue;
      const stat = readProcStat(entry.name);
      if (stat) found.push({ pid: stat.pid, ppid: stat.ppid, argv }); // else: exited meanwhile
    }
    return found;
  }
  const ps = runProgram(["ps", "-axo", "pid=,ppid=,args="]);
  for (const line of ps.stdout.split("\n")) {
    const [pid, ppid, ...argv] = line.trim().split(/\s+/);
    if (pid && ppid && isAnnouncer(argv)) found.push({ pid: Number(pid), ppid: Number(ppid), argv });
  }
  return found;
}

export function checkAnnouncers(env: DoctorContext): Check {
  if (!env.allocations || !env.settings) {
    return { id: "announcers", status: "skip", detail: noRegistry(env) };
  }
  const pool = env.settings.pool;
  const inPool = (ip: string) => {
    const n = ipToInt(ip);
    return n !== undefined && n >= pool.first && n <= pool.last;
  };
  let stale;
  try {
    stale = staleAnnouncers(
      listAnnouncerProcesses(env.host.os),
      inPool,
      [
        ...hostsEntries(env.allocations, env.settings?.hostnameTemplate),
        ...(env.registry
          ? runAnnouncements(
            env.registry,
            (l, p) => renderHostname(env.settings?.hostnameTemplate ?? "{branch}.local", l, p),
          )
          : []),
      ],
    );
  } catch (error) {
    return { id: "announcers", status: "warn", ...problem(error) };
  }
  if (stale.length === 0) {
    return { id: "announcers", status: "ok", detail: "no stale or orphaned announcers" };
  }
  const pids = stale.map((s) => s.pid);
  const detail = stale.map((s) => `pid ${s.pid} ${s.reason}`).join("; ");
  if (env.fix) {
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* gone already */ }
    }
    return { id: "announcers", status: "fail", fixed: true, detail: `stopped: ${detail}` };
  }
  return { id: "announcers", status: "fail", detail, fix: `kill ${pids.join(" ")}` };
}
