/**
 * How the CLI builds `treehouse run`'s dependencies: the real adapters, stderr as the output sink,
 * and the collaborators new features add. To plug a feature into `run`, add its factory to
 * {@link RUN_COLLABORATORS} (it gets the command's context and flags and returns a collaborator, or
 * undefined when its flags leave it out); keep its heavy modules behind `await import()` in the factory.
 */
import { Announcer } from "../adapters/mdns.ts";
import { checkPortFree, findPortHolders } from "../adapters/net/port-holder.ts";
import { currentPlatform } from "../adapters/platform/platform.ts";
import { systemProcess } from "../adapters/process/adapter.ts";
import type { Registry } from "../registry/registry.ts";
import { databaseCollaborator } from "../services/db/run.ts";
import type { Settings } from "../services/settings.ts";
import type { RunCollaborator, RunDeps, RunOutput } from "../services/run/types.ts";
import type { AppContext } from "./context.ts";
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
}

/** What a collaborator factory is given. */
export interface CollaboratorContext {
  ctx: AppContext;
  flags: RunFlags;
  settings: Settings;
}

/** Makes one feature's collaborator for a run, or undefined when the run does not use the feature. */
export type CollaboratorFactory = (
  c: CollaboratorContext,
) => RunCollaborator | undefined | Promise<RunCollaborator | undefined>;

/** The features plugged into `run`, in hook order (after the built-in liveness and mDNS collaborators). */
export const RUN_COLLABORATORS: readonly CollaboratorFactory[] = [
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
): Promise<RunDeps> {
  const made = await Promise.all(RUN_COLLABORATORS.map((make) => make({ ctx, flags, settings })));
  return {
    registry,
    now: Date.now,
    platform: currentPlatform(ctx.env, ctx.os),
    process: systemProcess,
    net: { checkPortFree, findPortHolders },
    announcers: (tool, args, events) => new Announcer(tool, args, {}, events),
    env: ctx.env,
    cwd: ctx.cwd,
    output: stderrOutput(ctx),
    collaborators: made.filter((c): c is RunCollaborator => c !== undefined),
  };
}
