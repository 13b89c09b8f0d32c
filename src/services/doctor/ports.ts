/** The ports check: the port-80/443 redirect (macOS pf anchor, Linux sysctl) is as `setup` leaves it. */
import { intToIp } from "../../core/pool.ts";
import { runProgram } from "../../adapters/process/spawn.ts";
import type { Check } from "./checks.ts";
import { PF_ANCHOR_FILE, PF_LABEL, pfAnchor } from "../../core/macos-plan.ts";
import { SYSCTL_PROC } from "../../core/linux-ports.ts";
import { type DoctorContext, noRegistry } from "./context.ts";

export function checkPorts(env: DoctorContext): Check {
  const root = (env.env("TREEHOUSE_ROOT") ?? "").replace(/\/+$/, "");
  const fix = "treehouse setup --ports   # once per machine, asks before using sudo";
  if (env.platform.name !== "macos") {
    let start: number | undefined;
    try {
      start = Number(Deno.readTextFileSync(root + SYSCTL_PROC).trim());
    } catch { /* not Linux, or hidden */ }
    if (Deno.uid() === 0 || (start !== undefined && start <= 80)) {
      return {
        id: "ports",
        status: "ok",
        detail: "ports 80 and 443 can be bound: https://<branch>.local/ needs no port",
      };
    }
    return {
      id: "ports",
      status: "warn",
      detail: `unprivileged ports start at ${start ?? "?"}: run --https uses ports 10443/10080 in URLs`,
      fix,
    };
  }
  let anchor: string;
  try {
    anchor = Deno.readTextFileSync(root + PF_ANCHOR_FILE);
  } catch {
    return {
      id: "ports",
      status: "warn",
      detail: "no pf redirect: run --https uses ports 10443/10080 in URLs",
      fix,
    };
  }
  if (!env.settings) return { id: "ports", status: "skip", detail: noRegistry(env) };
  const ips: string[] = [];
  for (let n = env.settings.pool.first; n <= env.settings.pool.last; n++) ips.push(intToIp(n));
  if (anchor === pfAnchor(ips)) {
    if (runProgram(["launchctl", "print", `system/${PF_LABEL}`]).code !== 0) {
      return {
        id: "ports",
        status: "fail",
        detail: "the pf rules are written but their LaunchDaemon is not loaded",
        fix,
      };
    }
    return {
      id: "ports",
      status: "ok",
      detail: "pf sends :80 and :443 of every pool IP to the HTTPS fronts",
    };
  }
  return {
    id: "ports",
    status: "fail",
    detail: "the pf redirect is not the one for this pool (an older --port80 one, or another pool)",
    fix,
  };
}
