/** The mDNS check: an announcer is installed and (Linux) avahi announces and resolves a probe name. */
import { DEFAULT_POOL, parsePool } from "../../core/pool.ts";
import { onPath, runProgram, sendSignal, spawn, type Spawned } from "../../adapters/process/spawn.ts";
import { type Check, PROBE_PREFIX, probeAddress } from "./checks.ts";
import { mdnsDaemonFix, mdnsInstallCommand, serviceFacts } from "../../adapters/platform/linux.ts";
import { sudoCommand } from "../../adapters/self.ts";
import { type DoctorContext, problem } from "./context.ts";

export function checkMdns(env: DoctorContext, hostsInUse: boolean): Check | Promise<Check> {
  const path = env.env("PATH");
  const missing = env.platform.mdnsTools.filter((t) => onPath(t, path) === undefined);
  const alternative = hostsInUse ? "" : "; or without mDNS: " + sudoCommand(env.dbPath, ["hosts", "sync"]);
  if (missing.length > 0) {
    return {
      id: "mdns",
      status: hostsInUse ? "warn" : "fail",
      detail: `${missing.join(" and ")} not found: <branch>.local names are not announced${
        hostsInUse ? " (the hosts block covers them)" : ""
      }`,
      fix:
        (env.platform.name === "linux" ? mdnsInstallCommand(serviceFacts(path)) : env.platform.mdnsInstall) +
        alternative,
    };
  }
  if (env.platform.name !== "linux" || env.env("TREEHOUSE_DOCTOR_ROUND_TRIP") === "0") {
    return {
      id: "mdns",
      status: "ok",
      detail: `${env.platform.mdnsTools.join(", ")} found${mdnsReach(env)}`,
    };
  }
  return avahiRoundTrip(env, hostsInUse);
}

/** Where `run` announces names with these settings: what leaks to the network (issue 11). */
function mdnsReach(env: DoctorContext): string {
  const mode = env.settings?.mdns;
  if (mode === "off") return "; mdns = off: run announces nothing";
  if (env.platform.name === "macos") {
    return mode === "lan"
      ? "; names are announced to the network (mdns = lan)"
      : "; names stay on this machine (dns-sd -lo)";
  }
  if (mode === "local" && env.settings?.sources.mdns !== "default") {
    return '; mdns = "local": avahi cannot keep names on this machine, so run announces none (use --hosts)';
  }
  return '; run announces names to the whole network (avahi cannot keep them on this machine: mdns = "off" and hosts sync can)';
}

/**
 * Announces a throwaway name with avahi-publish and resolves it back with avahi-resolve. The probe
 * announces an address no branch holds (outside the pool) and has ended when this returns, so the
 * announcer check never sees it.
 */
async function avahiRoundTrip(env: DoctorContext, hostsInUse: boolean): Promise<Check> {
  const name = `${PROBE_PREFIX}${crypto.randomUUID().slice(0, 8)}.local`;
  const ip = probeAddress(
    env.settings?.pool ?? parsePool(DEFAULT_POOL),
    (env.allocations ?? []).map((a) => a.ip),
  );
  let child: Spawned;
  try {
    child = spawn("avahi-publish", {
      args: ["-a", "-R", name, ip],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      tool: true,
    });
  } catch (error) {
    return { id: "mdns", status: "warn", ...problem(error) };
  }
  let resolved = false;
  try {
    for (let attempt = 0; attempt < 3 && !resolved; attempt++) { // avahi-resolve waits ~5 s per miss
      const r = runProgram(["avahi-resolve", "-4", "-n", name]);
      resolved = r.code === 0 && r.stdout.includes(ip);
    }
  } catch {
    /* avahi-resolve failed to start: reported below */
  } finally {
    sendSignal(child.pid, "SIGTERM", false);
    const killer = setTimeout(() => sendSignal(child.pid, "SIGKILL", false), 2000);
    await child.exited;
    clearTimeout(killer);
  }
  if (resolved) {
    return {
      id: "mdns",
      status: "ok",
      detail: `announced and resolved ${name} through avahi${mdnsReach(env)}`,
    };
  }
  return {
    id: "mdns",
    status: hostsInUse ? "warn" : "fail",
    detail: `avahi could not announce and resolve ${name} (is avahi-daemon running?)`,
    fix: mdnsDaemonFix("linux", serviceFacts(env.env("PATH"))),
  };
}
