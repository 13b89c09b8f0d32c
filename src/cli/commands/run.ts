/**
 * `treehouse run -- CMD [ARGS…]`: the supervised dev-server wrapper. Allocates the branch, checks
 * that its IP:port is free, starts CMD with the branch's variables, announces `<label>.local` over
 * mDNS, keeps the allocation's heartbeat, and leaves nothing behind however it stops.
 */
import type { Registry } from "../../registry/registry.ts";
import { parseDuration } from "../../core/duration.ts";
import { hostFor, multiLabelWarning } from "../../core/hostname-template.ts";
import { loadSettings } from "../../services/settings.ts";
import {
  ConfigError,
  ConflictError,
  PermissionError,
  TimeoutError,
  TreehouseError,
  UsageError,
} from "../../errors.ts";
import { isProcessAlive, processStartTime } from "../../adapters/proc/process-info.ts";
import {
  announceArgs,
  Announcer,
  chooseMdnsTool,
  type MdnsTool,
  missingMdnsMessage,
} from "../../adapters/mdns.ts";
import { checkPortFree, findPortHolders } from "../../adapters/net/port-holder.ts";
import { onPath } from "../../adapters/process/spawn.ts";
import { Watchdog } from "../../adapters/process/watchdog.ts";
import { sudoCommand } from "../self.ts";
import { registryPath } from "../../registry/path.ts";
import { getOrAllocate, listAllocations, recordProcess } from "../../registry/allocations.ts";
import { cleanupStale, clearProcess, heartbeat, relabel } from "../../registry/liveness.ts";
import { extraEnv } from "../../services/run/extra-env.ts";
import {
  childVariables,
  expandPlaceholders,
  RESTART_BACKOFF_MS,
  type RunValues,
  urlFor,
} from "../../core/child-env.ts";
import { parseReady } from "../../services/run/ready.ts";
import { supervise } from "../../services/run/supervisor.ts";
import type { AppContext } from "../context.ts";
import { paint, say, warn } from "../output.ts";
import { type AppFlags, type BranchFlags, openRegistry, resolveTarget } from "../target.ts";

/** Flags of `run`. */
export interface RunFlags extends BranchFlags, AppFlags {
  readonly port?: number;
  readonly name?: string;
  readonly mdns: boolean;
  readonly envPort: boolean;
  readonly restart: "no" | "on-failure";
  readonly ready?: string;
  readonly readyTimeout?: number;
  readonly killTimeout?: number;
  readonly quiet?: boolean;
  /** Keep the hosts file's treehouse block in sync at start (`TREEHOUSE_HOSTS_FILE`, else /etc/hosts). */
  readonly hosts?: boolean;
}

/** Default seconds between a forwarded signal and SIGKILL. */
export const DEFAULT_KILL_TIMEOUT_S = 5;
/** How long after the server's start its mDNS announcer starts. */
export const ANNOUNCE_DELAY_MS = 250;
/** Default seconds `--ready` waits. */
export const DEFAULT_READY_TIMEOUT_S = 60;

export default async function run(this: AppContext, flags: RunFlags, ...command: string[]): Promise<void> {
  const [program, ...rest] = command;
  if (program === undefined || program === "") {
    throw new UsageError("No command to run", {
      hint: "Example: treehouse run -- python3 -m http.server {port} --bind {ip}",
    });
  }
  const settings = loadSettings(this.env, this.cwd);
  const target = resolveTarget(this, flags);
  const port = flags.port ?? settings.defaultPort;
  const killTimeoutMs = (flags.killTimeout ?? DEFAULT_KILL_TIMEOUT_S) * 1000;
  const backoffBase = this.env("TREEHOUSE_RESTART_BACKOFF");
  // The backoff doubles from its first step: 1, 2, 4, 8, 16 s by default.
  const firstStepMs = backoffBase === undefined || backoffBase === ""
    ? undefined
    : parseDuration(backoffBase, "TREEHOUSE_RESTART_BACKOFF");
  const backoffMs = firstStepMs === undefined
    ? undefined
    : RESTART_BACKOFF_MS.map((step) => (step / 1000) * firstStepMs);
  const registry = openRegistry(this);
  try {
    const now = Date.now();
    let { allocation, created } = getOrAllocate(registry, {
      ...target,
      pool: settings.pool,
      now,
      reclaimAfterMs: settings.reclaimAfterMs,
      isAlive: isProcessAlive,
      name: flags.name,
    });
    // A new allocation already has the name; an existing one takes it now.
    if (flags.name !== undefined && !created) allocation = relabel(registry, allocation, flags.name);

    if (flags.hosts) await syncHostsAtStart(this, registry, settings.hostnameTemplate);
    const host = hostFor(allocation, settings.hostnameTemplate);
    const values: RunValues = {
      ip: allocation.ip,
      port,
      host,
      url: urlFor(host, port),
      branch: allocation.branch,
      db: allocation.db_name,
    };
    const ready = flags.ready === undefined ? undefined : parseReady(flags.ready, allocation.ip);
    ensurePortFree(allocation.ip, port, allocation.pid);

    const runId = `${Deno.pid}-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const env = childVariables(values, {
      envPort: flags.envPort,
      runId,
      extra: await extraEnv(registry, settings),
    });
    const executable = expandPlaceholders(program, values);
    const args = rest.map((a) => expandPlaceholders(a, values));
    if (!flags.quiet) say(this, banner(this, values, [executable, ...args]));

    // The watchdog and the heartbeat timer start right after the child (see onSpawn): a process's first
    // spawn and first timer each cost the runtime ~7-13 ms of set-up, which the server need not wait for.
    const watchdog = Watchdog.lazy(killTimeoutMs);
    watchdog.tag(runId);
    let announcers: Announcer[] = [];
    let beat: ReturnType<typeof setInterval> | undefined;
    let announceTimer: ReturnType<typeof setTimeout> | undefined;
    let childPid: number | undefined;
    try {
      const result = await supervise({
        command: executable,
        args,
        env,
        cwd: this.cwd,
        tty: Deno.stdin.isTerminal(),
        runId,
        killTimeoutMs,
        restart: flags.restart,
        backoffMs,
        capture: ready !== undefined,
        ready: ready && {
          target: ready,
          timeoutMs: (flags.readyTimeout ?? DEFAULT_READY_TIMEOUT_S) * 1000,
          onReady: () => say(this, paint(this.color, "32", `treehouse: ready at ${values.url}`)),
        },
        watchdog,
        onSpawn: (pid) => {
          const first = childPid === undefined;
          childPid = pid;
          try {
            recordProcess(registry, allocation.id, {
              pid,
              pid_started_at: processStartTime(pid) ?? Date.now(),
              port,
              now: Date.now(),
            });
          } catch (error) {
            // The server matters more than the record: keep it running, say what is missing.
            warn(this, `Could not record the process (list will show STOPPED): ${(error as Error).message}`);
          }
          if (!first) return;
          // Other runs' stale records (their liveness may take a `ps` each on macOS) wait for the server too.
          try {
            cleanupStale(registry, now, settings.staleAfterMs, isProcessAlive);
          } catch (error) {
            warn(this, `Could not clean up stale allocations: ${(error as Error).message}`);
          }
          // The announcer and the heartbeat start after the server, off the path to its first answer.
          // The announcer waits a moment more: its start-up would compete with the server's for the CPU,
          // and the name takes mDNS about a second of probing to be answered anyway.
          const plan = flags.mdns ? planAnnouncers(this, values, settings.hostnameTemplate) : undefined;
          if (plan) {
            announceTimer = setTimeout(() => {
              announceTimer = undefined;
              announcers = startAnnouncers(this, watchdog, plan);
            }, ANNOUNCE_DELAY_MS);
          }
          let heartbeatWarned = false;
          let goneWarned = false;
          beat = setInterval(() => {
            try {
              if (heartbeat(registry, allocation.id, Date.now()) === "gone" && !goneWarned) {
                goneWarned = true;
                warn(
                  this,
                  `The allocation of ${allocation.branch} was released while its server runs: ${allocation.ip} ` +
                    "may go to another branch. Restart `treehouse run` to take it back",
                );
              }
            } catch (error) {
              if (!heartbeatWarned) warn(this, `Heartbeat failed (will retry): ${(error as Error).message}`);
              heartbeatWarned = true;
            }
          }, settings.heartbeatMs);
        },
        say: (text) => say(this, text),
      });
      if (result.readyTimedOut) {
        const seconds = flags.readyTimeout ?? DEFAULT_READY_TIMEOUT_S;
        const lines = result.tail.length
          ? `; its last output:\n${result.tail.map((l) => `  ${l}`).join("\n")}`
          : "";
        say(this, `treehouse: ${executable} did not answer on ${flags.ready} within ${seconds}s${lines}`);
        throw new TimeoutError(`Not ready after ${seconds}s: ${flags.ready}`, {
          hint: "treehouse stopped the command: check its output above, or raise --ready-timeout",
        });
      }
      this.exitCode = result.code;
    } finally {
      if (beat !== undefined) clearInterval(beat);
      if (announceTimer !== undefined) clearTimeout(announceTimer);
      await Promise.all(announcers.map((a) => a.stop()));
      if (childPid !== undefined) {
        try {
          clearProcess(registry, allocation.id, childPid, Date.now());
        } catch (error) {
          warn(this, `Could not clear the process record: ${(error as Error).message}`);
        }
      }
      await watchdog.release();
    }
  } finally {
    registry.close();
  }
}

/** Fails with the holder's pid and command when IP:port (or 0.0.0.0/:: at that port) is taken. */
function ensurePortFree(ip: string, port: number, recordedPid: number | null): void {
  const check = checkPortFree(ip, port);
  if (check.free) return;
  if (check.reason === "denied") {
    throw new PermissionError(`Cannot listen on ${ip}:${port}: permission denied`, {
      hint: port < 1024
        ? "Ports below 1024 need root: use --port 4000 (or another port above 1023)"
        : "Check what forbids listening on this address",
      cause: check.error,
    });
  }
  if (check.reason === "unavailable") {
    throw new ConfigError(`Cannot use ${ip}:${port}: ${check.error.message}`, {
      hint: Deno.build.os === "darwin"
        ? `Add the loopback aliases once with \`sudo treehouse setup\` (or: sudo ifconfig lo0 alias ${ip} up)`
        : "Check that the IP is a loopback address of this machine",
      cause: check.error,
    });
  }
  const holders = findPortHolders(ip, port);
  const who = holders.length
    ? holders.map((h) => `pid ${h.pid} (${h.command}) on ${h.address}:${port}`).join(", ")
    : "another process (the OS does not say which)";
  const ours = holders.some((h) => h.pid === recordedPid);
  throw new ConflictError(`${ip}:${port} is already in use by ${who}`, {
    hint: ours
      ? "This branch's server is already running: stop it first, or use --port N for a second server"
      : "Stop that process, or use --port N; a server listening on 0.0.0.0 or :: takes the port on every loopback IP",
  });
}

/**
 * `--hosts`: writes the hosts file's block with every allocation (this one included). A hosts file
 * the user may not write is a warning with the sudo command: the server runs anyway.
 */
async function syncHostsAtStart(ctx: AppContext, registry: Registry, template: string): Promise<void> {
  // Loaded only with --hosts: the wrapper stays small without it.
  const [{ hostsEntries, resolveHostsFile, syncHosts }, { withHostsLock }, { sudoCommand }] = await Promise
    .all([
      import("../../services/hosts.ts"),
      import("../../adapters/hosts-file.ts"),
      import("../self.ts"),
    ]);
  const file = resolveHostsFile(ctx.env, ctx.cwd);
  try {
    const change = withHostsLock(
      file,
      () =>
        syncHosts(file, hostsEntries(listAllocations(registry), template), {
          sudoCommand: sudoCommand(registry.path, ["hosts", "sync"]),
        }),
    );
    if (change.changed) say(ctx, `treehouse: updated ${file} (${change.entries} entries)`);
  } catch (error) {
    const hint = error instanceof TreehouseError && error.hint ? ` (${error.hint})` : "";
    warn(ctx, `${(error as Error).message}${hint}: ${file} not updated, the server runs anyway`);
  }
}

/** The command that puts the names into /etc/hosts, naming the registry in use (root's HOME differs). */
function hostsSyncCommand(ctx: AppContext): string {
  return sudoCommand(registryPath(ctx.dbFlag, ctx.env), ["hosts", "sync"]);
}

/** What to announce, and with which tool. */
interface AnnouncePlan {
  tool: MdnsTool;
  argsList: string[][];
  host: string;
}

/** Chooses the announcer for the run; warns once (and returns undefined) when there is none. */
function planAnnouncers(ctx: AppContext, values: RunValues, template: string): AnnouncePlan | undefined {
  if (!values.host.endsWith(".local")) {
    warn(
      ctx,
      `mDNS only answers .local names, so ${values.host} is not announced: run ${hostsSyncCommand(ctx)}`,
    );
    return undefined;
  }
  const multi = multiLabelWarning(template);
  if (multi) warn(ctx, multi);
  const label = values.host.slice(0, -".local".length);
  const tool = chooseMdnsTool(Deno.build.os, (name) => onPath(name, ctx.env("PATH")) !== undefined);
  if (!tool) {
    warn(ctx, missingMdnsMessage(Deno.build.os, values.host, values.ip, hostsSyncCommand(ctx)));
    return undefined;
  }
  return {
    tool,
    argsList: announceArgs(tool, { label, ip: values.ip, port: values.port }),
    host: values.host,
  };
}

/** Starts the announcer processes (address, and service where separate). */
function startAnnouncers(ctx: AppContext, watchdog: Watchdog, plan: AnnouncePlan): Announcer[] {
  const started: Announcer[] = [];
  for (const args of plan.argsList) {
    const announcer = new Announcer(plan.tool, args, {}, {
      onStart: (pid) => watchdog.watch(-pid),
      onExit: (pid) => watchdog.unwatch(-pid),
      onMessage: (text) => warn(ctx, text),
    });
    try {
      announcer.start();
      started.push(announcer);
    } catch (error) {
      warn(ctx, `${(error as Error).message}: ${plan.host} will not be announced (the server runs anyway)`);
      break;
    }
  }
  return started;
}

function banner(ctx: AppContext, v: RunValues, command: string[]): string {
  const rows: [string, string][] = [
    ["Branch", v.branch],
    ["IP", v.ip],
    ["Hostname", v.host],
    ["URL", v.url],
    ["Database", v.db],
    ["Command", command.join(" ")],
  ];
  const title = paint(ctx.color, "1", `treehouse: ${v.branch} → ${v.url}`);
  return `${title}\n${rows.map(([k, val]) => `  ${`${k}`.padEnd(9)}${val}`).join("\n")}`;
}
