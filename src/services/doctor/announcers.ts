/** The announcers check: running announcers that are stale or orphaned (`--fix` ends them). */
import { ipToInt } from "../../core/pool.ts";
import { type Check, isAnnouncer, staleAnnouncers } from "./checks.ts";
import { hostsEntries } from "../hosts.ts";
import { runAnnouncements } from "../control/doctor.ts";
import { renderHostname } from "../../core/hostname-template.ts";
import { type DoctorContext, noRegistry, problem } from "./context.ts";

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
      env.host.commands(isAnnouncer),
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
