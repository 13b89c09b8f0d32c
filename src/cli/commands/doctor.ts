/**
 * `treehouse doctor [--json] [--fix]`: checks the registry, the pool, mDNS, the hosts block,
 * announcers, the port-80 redirect and PATH. Every problem comes with the command that fixes it;
 * `--fix` applies the fixes that need no root rights. Exit code 12 when something is broken.
 */
import { loadSettings, type Settings } from "../../services/settings.ts";
import { DEFAULT_POOL, formatPool, intToIp, ipToInt, parsePool } from "../../core/pool.ts";
import { ExitCode, TreehouseError } from "../../errors.ts";
import { type Allocation, listAllocations } from "../../registry/allocations.ts";
import { registryPath } from "../../registry/path.ts";
import { Registry } from "../../registry/registry.ts";
import { SCHEMA_VERSION } from "../../registry/migrations.ts";
import { isProcessAlive, readCmdline, readProcStat } from "../../adapters/proc/process-info.ts";
import { currentPlatform, type Platform } from "../../adapters/platform/platform.ts";
import { onPath, runProgram, sendSignal, spawn, type Spawned } from "../../adapters/process/spawn.ts";
import {
  type AnnouncerProcess,
  type Check,
  formatChecks,
  isAnnouncer,
  PROBE_PREFIX,
  probeAddress,
  staleAnnouncers,
} from "../../services/doctor/checks.ts";
import { readBlock } from "../../core/hosts-block.ts";
import { multiLabelWarning } from "../../core/hostname-template.ts";
import { mdnsDaemonFix, mdnsInstallCommand, serviceFacts } from "../../adapters/platform/linux.ts";
import { readHostsFile, withHostsLock } from "../../adapters/hosts-file.ts";
import { hostsEntries, hostsInSync, syncHosts } from "../../services/hosts.ts";
import { ALIAS_LABEL, parseIfconfig, PF_ANCHOR_FILE, PF_LABEL, pfAnchor } from "../../core/macos-plan.ts";
import { SYSCTL_PROC } from "../../core/linux-ports.ts";
import { cleanupAllocations } from "../../services/cleanup.ts";
import { sudoCommand } from "../../adapters/self.ts";
import { VERSION } from "../../version.ts";
import type { AppContext } from "../context.ts";
import { checkRuns, runAnnouncements } from "../../services/control/doctor.ts";
import { renderHostname } from "../../core/hostname-template.ts";
import { json, out, say } from "../output.ts";
import { hostsFilePath } from "./hosts.ts";
import { openRegistryIfExists } from "../target.ts";

/** Flags of `doctor`. */
export interface DoctorFlags {
  readonly json?: boolean;
  readonly fix?: boolean;
  readonly hostsFile?: string;
}

interface Env {
  ctx: AppContext;
  fix: boolean;
  dbPath: string;
  settings?: Settings;
  platform: Platform;
  allocations?: Allocation[];
  registry?: Registry;
}

export default async function doctor(this: AppContext, flags: DoctorFlags): Promise<void> {
  const dbPath = registryPath(this.dbFlag, this.env);
  const env: Env = { ctx: this, fix: flags.fix ?? false, dbPath, platform: currentPlatform(this.env) };
  const checks: Check[] = [];
  try {
    checks.push(checkRegistry(env));
    checks.push(checkSettings(env));
    checks.push(checkPool(env));
    const hosts = checkHosts(env, flags.hostsFile);
    // The round trip's probe has ended (awaited) before the announcer check looks at announcers.
    checks.push(await checkMdns(env, hosts.inUse));
    checks.push(hosts.check);
    checks.push(checkAnnouncers(env));
    if (env.registry) checks.push(await checkRuns(env.registry, isProcessAlive, Date.now(), env.fix));
    checks.push(checkPorts(env));
    checks.push(checkStale(env));
    checks.push(checkPath(env));
  } finally {
    env.registry?.close();
  }
  checks.push(...await tlsChecks(this, dbPath));
  checks.push(await databaseCheckOf(this));
  const broken = checks.filter((c) => c.status === "fail" && !c.fixed);
  if (flags.json) out(this, json({ ok: broken.length === 0, version: VERSION, checks }));
  else {
    out(this, formatChecks(checks));
    say(
      this,
      broken.length === 0
        ? "No problems found"
        : `${broken.length} problem(s) found: run the fix commands above`,
    );
  }
  if (broken.length > 0) this.exitCode = ExitCode.system;
}

function noRegistry(env: Env): string {
  return env.registry ? "the settings are invalid" : "no usable registry (see above)";
}

function problem(error: unknown): { detail: string; fix?: string } {
  if (error instanceof TreehouseError) return { detail: error.message, fix: error.hint };
  return { detail: error instanceof Error ? error.message : String(error) };
}

function checkRegistry(env: Env): Check {
  let exists = true;
  try {
    Deno.statSync(env.dbPath);
  } catch {
    exists = false;
  }
  if (!exists && !env.fix) {
    return {
      id: "registry",
      status: "warn",
      detail: `${env.dbPath} does not exist yet`,
      fix: "treehouse doctor --fix",
    };
  }
  try {
    const registry = Registry.open(env.dbPath);
    env.registry = registry;
    const verdict = registry.quickCheck();
    if (verdict !== "ok") {
      return {
        id: "registry",
        status: "fail",
        detail: `${env.dbPath} is damaged: ${verdict}`,
        fix: `mv ${env.dbPath} ${env.dbPath}.broken   # a new registry is created on next use`,
      };
    }
    registry.write(() => undefined); // takes the write lock: proves the file and its directory are writable
    env.allocations = listAllocations(registry);
    return {
      id: "registry",
      status: "ok",
      fixed: !exists ? true : undefined,
      detail: `${env.dbPath} (schema ${SCHEMA_VERSION}, ${env.allocations.length} allocations)${
        exists ? "" : ": created"
      }`,
    };
  } catch (error) {
    return {
      id: "registry",
      status: "fail",
      detail: problem(error).detail,
      fix: registryFix(error, env.dbPath),
    };
  }
}

/** A command for a registry problem: the one its hint names, or moving the file away. */
function registryFix(error: unknown, path: string): string {
  const hint = error instanceof TreehouseError ? error.hint ?? "" : "";
  const named = /\(((?:chmod|mv) [^)]*)\)/.exec(hint);
  if (named) return named[1]!;
  const message = error instanceof Error ? error.message : "";
  if (/newer treehouse/.test(message)) {
    return "upgrade treehouse (README: Install), or: export TREEHOUSE_DB=<another file>";
  }
  if (/directory/.test(message)) return `export TREEHOUSE_DB=${path.replace(/\/+$/, "")}/registry.db`;
  return `mv ${path} ${path}.broken   # a new registry is created on next use; the old one is kept`;
}

function checkSettings(env: Env): Check {
  try {
    env.settings = loadSettings(env.ctx.env, env.ctx.cwd);
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

function checkPool(env: Env): Check {
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

function canBind(ip: string): boolean {
  try {
    Deno.listen({ hostname: ip, port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

/** The hosts block's check, and whether the block serves the names (in sync, or just synced by --fix). */
function checkHosts(env: Env, flag: string | undefined): { check: Check; inUse: boolean } {
  const file = hostsFilePath(env.ctx, flag);
  let text: string;
  try {
    text = readHostsFile(file);
  } catch (error) {
    return { check: { id: "hosts", status: "fail", ...problem(error) }, inUse: false };
  }
  if (readBlock(text) === undefined) {
    return {
      check: { id: "hosts", status: "ok", detail: `${file} has no treehouse block (not used)` },
      inUse: false,
    };
  }
  if (!env.allocations) {
    return { check: { id: "hosts", status: "skip", detail: noRegistry(env) }, inUse: false };
  }
  const entries = hostsEntries(env.allocations, env.settings?.hostnameTemplate);
  const args = ["hosts", "sync", ...(flag ? ["--file", file] : [])];
  const fix = sudoCommand(env.dbPath, args);
  if (hostsInSync(text, entries) === true) {
    return {
      check: { id: "hosts", status: "ok", detail: `${file} block in sync (${entries.length} entries)` },
      inUse: true,
    };
  }
  if (env.fix) {
    try {
      withHostsLock(file, () => syncHosts(file, entries, { sudoCommand: fix }));
      return {
        check: {
          id: "hosts",
          status: "fail",
          fixed: true,
          detail: `${file} block synced (${entries.length} entries)`,
        },
        inUse: true,
      };
    } catch (error) {
      return { check: { id: "hosts", status: "fail", ...problem(error) }, inUse: false };
    }
  }
  return {
    check: { id: "hosts", status: "fail", detail: `${file} block is out of sync with the registry`, fix },
    inUse: false,
  };
}

function checkMdns(env: Env, hostsInUse: boolean): Check | Promise<Check> {
  const path = env.ctx.env("PATH");
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
  if (env.platform.name !== "linux" || env.ctx.env("TREEHOUSE_DOCTOR_ROUND_TRIP") === "0") {
    return {
      id: "mdns",
      status: "ok",
      detail: `${env.platform.mdnsTools.join(", ")} found${mdnsReach(env)}`,
    };
  }
  return avahiRoundTrip(env, hostsInUse);
}

/** Where `run` announces names with these settings: what leaks to the network (issue 11). */
function mdnsReach(env: Env): string {
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
async function avahiRoundTrip(env: Env, hostsInUse: boolean): Promise<Check> {
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
    fix: mdnsDaemonFix("linux", serviceFacts(env.ctx.env("PATH"))),
  };
}

function listAnnouncerProcesses(): AnnouncerProcess[] {
  const found: AnnouncerProcess[] = [];
  if (Deno.build.os === "linux") {
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

function checkAnnouncers(env: Env): Check {
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
      listAnnouncerProcesses(),
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

function checkPorts(env: Env): Check {
  const root = (env.ctx.env("TREEHOUSE_ROOT") ?? "").replace(/\/+$/, "");
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

function checkStale(env: Env): Check {
  if (!env.registry || !env.settings) {
    return { id: "cleanup", status: "skip", detail: noRegistry(env) };
  }
  try {
    const found = cleanupAllocations(env.registry, {
      dryRun: !env.fix,
      now: Date.now(),
      staleAfterMs: env.settings.staleAfterMs,
      isAlive: isProcessAlive,
    });
    if (found.length === 0) return { id: "cleanup", status: "ok", detail: "no dead allocations" };
    const names = found.slice(0, 3).map((a) => `${a.branch} (${a.reason})`).join(", ");
    const detail = `${found.length} dead allocation(s): ${names}${found.length > 3 ? ", …" : ""}`;
    if (env.fix) return { id: "cleanup", status: "warn", fixed: true, detail: `removed ${detail}` };
    return { id: "cleanup", status: "warn", detail, fix: "treehouse cleanup --all-projects" };
  } catch (error) {
    return { id: "cleanup", status: "warn", ...problem(error) };
  }
}

function checkPath(env: Env): Check {
  const found = onPath("treehouse", env.ctx.env("PATH"));
  if (found === undefined) {
    return {
      id: "path",
      status: "warn",
      detail: `treehouse ${VERSION} is not on PATH`,
      fix:
        "install it (README, Install: Homebrew, install.sh or a binary), or in a checkout: deno install -g -A -n treehouse main.ts",
    };
  }
  try {
    const r = runProgram([found, "--version"]);
    const version = r.stdout.trim().split(/\s+/).pop() ?? "";
    if (r.code === 0 && version === VERSION) {
      return { id: "path", status: "ok", detail: `${found} is treehouse ${VERSION}` };
    }
    return {
      id: "path",
      status: "warn",
      detail: `${found} is treehouse ${version || "(unknown)"}, this is ${VERSION}`,
      fix: `reinstall or remove ${found}`,
    };
  } catch (error) {
    return { id: "path", status: "warn", ...problem(error) };
  }
}

/** One check per trust store of the local CA (loaded only here: it may issue a test leaf). */
async function tlsChecks(ctx: AppContext, dbPath: string): Promise<Check[]> {
  const { trustChecks } = await import("../../services/tls/trust-check.ts");
  const { tlsPaths } = await import("../../services/tls/files.ts");
  const { trustContext } = await import("./setup-https.ts");
  const root = (ctx.env("TREEHOUSE_ROOT") ?? "").replace(/\/+$/, "");
  return await trustChecks(
    tlsPaths(dbPath.slice(0, dbPath.lastIndexOf("/")) || "/"),
    trustContext(ctx, root),
    Date.now(),
  );
}

/** The `database` check (issue 14): loaded only here; asks the server only where the feature is used. */
async function databaseCheckOf(ctx: AppContext): Promise<Check> {
  let settings: Settings;
  try {
    settings = loadSettings(ctx.env, ctx.cwd);
  } catch {
    return { id: "database", status: "skip", detail: "the settings are invalid (see above)" };
  }
  const [{ databaseCheck }, { postgresEngine }, { serverOf }] = await Promise.all([
    import("../../services/db/check.ts"),
    import("../../adapters/postgres/client.ts"),
    import("./db/common.ts"),
  ]);
  let registry: Registry | undefined;
  try {
    const resolved = serverOf(ctx, settings);
    registry = openRegistryIfExists(ctx);
    return await databaseCheck({
      registry,
      engine: postgresEngine,
      resolved,
      create: settings.database.create,
      configured: resolved.source !== "default" && resolved.source !== "PG* variables",
    });
  } catch (error) {
    return { id: "database", status: "warn", ...problem(error) };
  } finally {
    registry?.close();
  }
}
