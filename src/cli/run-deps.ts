/**
 * How the CLI builds `treehouse run`'s dependencies: the real adapters, stderr as the output sink,
 * and the collaborators new features add. To plug a feature into `run`, add its factory to
 * {@link RUN_COLLABORATORS} (it gets the command's context and flags and returns a collaborator, or
 * undefined when its flags leave it out); keep its heavy modules behind `await import()` in the factory.
 */
import { DEFAULT_SERVICE } from "../core/run-table.ts";
import { Announcer } from "../adapters/mdns.ts";
import { currentPlatform } from "../adapters/platform/platform.ts";
import { systemProcess } from "../adapters/process/adapter.ts";
import type { Registry } from "../registry/registry.ts";
import { databaseCollaborator } from "../services/db/run.ts";
import type { Settings } from "../services/settings.ts";
import type { RunCollaborator, RunDeps, RunOutput } from "../services/run/types.ts";
import type { AppContext } from "./context.ts";
import { runtimeDir } from "../adapters/control-socket.ts";
import type { RotatingLog } from "../adapters/log-file.ts";
import { controlCollaborator } from "../services/control/collaborator.ts";
import { WRAPPER_WARNING } from "../services/control/detach.ts";
import { parseReady } from "../services/run/ready.ts";
import { paint, say, warn } from "./output.ts";
import type { AppFlags, BranchFlags } from "./target.ts";

/** Flags of `run`. */
export interface RunFlags extends BranchFlags, AppFlags {
  readonly port?: number;
  readonly name?: string;
  readonly mdns: boolean;
  readonly envPort: boolean;
  /** `--restart`; undefined: `[run]`'s, else no. */
  readonly restart?: "no" | "on-failure";
  readonly ready?: string;
  readonly readyTimeout?: number;
  readonly killTimeout?: number;
  readonly quiet?: boolean;
  /** Keep the hosts file's treehouse block in sync at start (`TREEHOUSE_HOSTS_FILE`, else /etc/hosts). */
  readonly hosts?: boolean;
  /** `--database clone|empty|no` (also `run --db …`): the branch's database; default `[database] create`. */
  readonly database?: "clone" | "empty" | "no";
  /** `--https` / `--no-https`: the TLS front on <ip>:443 (default: the `https` setting). */
  readonly https?: boolean;
  /** `--port80`: plain HTTP on <ip>:80 forwarded to the server (with https it redirects anyway). */
  readonly port80?: boolean;
  /** The `[run.<service>]` to start (`treehouse run api`). */
  readonly service?: string;
  /** Framework presets (`--no-preset`: false). */
  readonly preset: boolean;
  /** Run the project's `[run]` command without asking. */
  readonly yes?: boolean;
  /** Start in the background and wait until ready (issue 15). */
  readonly detach?: boolean;
  /** With --detach: JSON output. */
  readonly json?: boolean;
  /** The log file of a detached run (set by --detach for its wrapper). */
  readonly logFile?: string;
}

/** What a collaborator factory is given. */
export interface CollaboratorContext {
  ctx: AppContext;
  flags: RunFlags;
  settings: Settings;
  /** The detached run's log file (`--log-file`), where its messages go too. */
  log?: RotatingLog;
}

/** Makes one feature's collaborator for a run, or undefined when the run does not use the feature. */
export type CollaboratorFactory = (
  c: CollaboratorContext,
) => RunCollaborator | undefined | Promise<RunCollaborator | undefined>;

/** The features plugged into `run`, in hook order (after the built-in liveness and mDNS collaborators). */
export const RUN_COLLABORATORS: readonly CollaboratorFactory[] = [
  // The run's record and control socket (issue 15): first, so a second run of a service is refused early.
  controlFactory,
  // The branch's database (issue 14). Imported statically: its hot path (a recorded database) is a few
  // small modules and one registry read, cheaper than a dynamic import; the client and the create code
  // are imported by it only when something must be created.
  ({ flags, settings }) => {
    const mode = flags.database ?? settings.database.create;
    return mode === "no" ? undefined : databaseCollaborator(mode, settings);
  },
  // The HTTPS front (issue 13): loaded only with --https (or https = true) or --port80.
  async ({ ctx, flags, settings }) => {
    const https = flags.https ?? settings.https;
    if (!https && !flags.port80) return undefined;
    const { registryPath } = await import("../registry/path.ts");
    const db = registryPath(ctx.dbFlag, ctx.env);
    return (await import("../services/https/run.ts")).httpsCollaborator({
      https,
      dataDir: db.slice(0, db.lastIndexOf("/")) || "/",
      root: (ctx.env("TREEHOUSE_ROOT") ?? "").replace(/\/+$/, ""),
    });
  },
];
/** The run's record and control socket (issue 15): every run has them. */
function controlFactory({ ctx, flags, log }: CollaboratorContext): RunCollaborator {
  const dir = runtimeDir(ctx.env, Deno.uid());
  return controlCollaborator({
    service: flags.service ?? DEFAULT_SERVICE,
    log: log ?? null,
    wrapperPid: Deno.pid,
    wrapperStartedAt: ctx.host.startTime(Deno.pid) ?? null,
    socketPath: (runId) => `${dir}/${runId}.sock`,
    readyTarget: (session) =>
      flags.ready === undefined
        ? { kind: "port", hostname: session.values.ip, port: session.request.port }
        : parseReady(flags.ready, session.values.ip),
  });
}

/** A detached run's output: every message into its log file. */
export function logOutput(log: RotatingLog): RunOutput {
  return {
    banner: (b) =>
      log.line(
        `treehouse: ${b.branch} → ${b.url}\n${b.rows.map(([k, v]) => `  ${k.padEnd(9)}${v}`).join("\n")}`,
      ),
    info: (text) => log.line(text),
    // Marked as treehouse's own (the server may print "warning:" lines too): `run --detach` shows these.
    warn: (text) => log.line(`${WRAPPER_WARNING}${text}`),
    ready: (url) => log.line(`treehouse: ready at ${url}`),
  };
}

/** stderr as the run's output: the banner, messages, warnings and the ready line. */
export function stderrOutput(ctx: AppContext): RunOutput {
  return {
    banner: (b) => {
      const title = paint(ctx.color, "1", `treehouse: ${b.branch} → ${b.url}`);
      say(ctx, `${title}\n${b.rows.map(([k, v]) => `  ${k.padEnd(9)}${v}`).join("\n")}`);
    },
    info: (text) => say(ctx, text),
    warn: (text) => warn(ctx, text),
    ready: (url) => say(ctx, paint(ctx.color, "32", `treehouse: ready at ${url}`)),
  };
}

/** The run's dependencies over this machine. */
export async function runDeps(
  ctx: AppContext,
  flags: RunFlags,
  settings: Settings,
  registry: Registry,
  log?: RotatingLog,
): Promise<RunDeps> {
  const made = await Promise.all(RUN_COLLABORATORS.map((make) => make({ ctx, flags, settings, log })));
  return {
    registry,
    now: Date.now,
    runId: (now) => `${Deno.pid}-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    platform: currentPlatform(ctx.env, ctx.host.os),
    process: systemProcess(ctx.host),
    net: { checkPortFree: ctx.host.bindCheck, findPortHolders: ctx.host.portHolders, probe: ctx.host.probe },
    announcers: (tool, args, events) => new Announcer(tool, args, {}, events),
    env: ctx.env,
    cwd: ctx.cwd,
    output: log ? logOutput(log) : stderrOutput(ctx),
    collaborators: made.filter((c): c is RunCollaborator => c !== undefined),
  };
}
