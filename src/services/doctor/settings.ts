/** The settings check and the pool check (every pool IP bindable, no alias missing). */
import { loadSettings } from "../settings.ts";
import { formatPool, intToIp } from "../../core/pool.ts";
import { runProgram } from "../../adapters/process/spawn.ts";
import { checkPortFree } from "../../adapters/net/occupancy.ts";
import type { Check } from "./checks.ts";
import { multiLabelWarning } from "../../core/hostname-template.ts";
import { ALIAS_LABEL, parseIfconfig } from "../../core/macos-plan.ts";
import { type DoctorContext, problem } from "./context.ts";

export function checkSettings(env: DoctorContext): Check {
  try {
    env.settings = loadSettings(env.config, env.cwd);
    const multi = multiLabelWarning(env.settings.hostnameTemplate);
    if (multi) {
      return {
        id: "settings",
        status: "warn",
        detail: multi,
        fix: `change hostname_template (${env.settings.sources.hostnameTemplate})`,
      };
    }
    return { id: "settings", status: "ok", detail: `pool ${formatPool(env.settings.pool)}` };
  } catch (error) {
    const variable = /in (TREEHOUSE_\w+|PORT)\b/.exec(problem(error).detail)?.[1];
    const hint = problem(error).fix;
    return {
      id: "settings",
      status: "fail",
      detail: problem(error).detail,
      fix: variable ? `unset ${variable}${hint ? `   # or fix it: ${hint}` : ""}` : hint,
    };
  }
}

export function checkPool(env: DoctorContext): Check {
  const settings = env.settings;
  if (!settings) return { id: "pool", status: "skip", detail: "the settings are invalid" };
  const ips: string[] = [];
  for (let n = settings.pool.first; n <= settings.pool.last; n++) ips.push(intToIp(n));
  const setup = "treehouse setup   # asks before using sudo";
  if (env.platform.needsAliases) {
    try {
      const lo0 = runProgram(["ifconfig", "lo0"]);
      const present = parseIfconfig(lo0.stdout);
      const missing = ips.filter((ip) => !present.has(ip));
      if (missing.length > 0) {
        return {
          id: "pool",
          status: "fail",
          detail: `${missing.length} of ${ips.length} pool IPs have no lo0 alias (e.g. ${missing[0]})`,
          fix: setup,
        };
      }
      if (runProgram(["launchctl", "print", `system/${ALIAS_LABEL}`]).code !== 0) {
        return {
          id: "pool",
          status: "warn",
          detail:
            `all ${ips.length} pool IPs have an lo0 alias, but no LaunchDaemon restores them after a reboot`,
          fix: setup,
        };
      }
      return {
        id: "pool",
        status: "ok",
        detail: `all ${ips.length} pool IPs have an lo0 alias, restored at boot`,
      };
    } catch (error) {
      return { id: "pool", status: "fail", ...problem(error) };
    }
  }
  const unusable = [ips[0], ips[ips.length - 1]].filter((ip): ip is string =>
    ip !== undefined && !canBind(ip)
  );
  if (unusable.length > 0) {
    return {
      id: "pool",
      status: "fail",
      detail: `cannot listen on ${unusable.join(", ")}`,
      fix: "sudo ip addr add 127.0.0.0/8 dev lo   # the loopback interface lost 127/8",
    };
  }
  return { id: "pool", status: "ok", detail: `${ips.length} IPs, all local (127/8 on Linux)` };
}

/** Whether a listener can bind `ip` at all (any port: the kernel picks one). */
function canBind(ip: string): boolean {
  return checkPortFree(ip, 0).free;
}
