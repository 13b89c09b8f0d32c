/**
 * `treehouse run -- CMD [ARGS…]`: flags → `runServer` (src/services/run/session.ts) → the child's
 * exit code. The use case allocates the branch, checks its IP:port, supervises CMD with the branch's
 * variables, and its collaborators announce the name and keep the heartbeat.
 */
import { parseDuration } from "../../core/duration.ts";
import { RESTART_BACKOFF_MS } from "../../core/child-env.ts";
import type { RunPlan } from "../../core/run-plan.ts";
import type { Registry } from "../../registry/registry.ts";
import {
  giveConsent,
  pendingConsent,
  prepareRun,
  projectCollaborator,
} from "../../services/run/project-run.ts";
import { runServer } from "../../services/run/session.ts";
import { loadSettings } from "../../services/settings.ts";
import type { AppContext } from "../context.ts";
import { formatError, TreehouseError } from "../../errors.ts";
import { RotatingLog } from "../../adapters/log-file.ts";
import { runDeps, type RunFlags } from "../run-deps.ts";
import { openRegistry, resolveTarget } from "../target.ts";

export type { RunFlags };

/** Default seconds between a forwarded signal and SIGKILL. */
export const DEFAULT_KILL_TIMEOUT_S = 5;
/** Default seconds `--ready` waits. */
export const DEFAULT_READY_TIMEOUT_S = 60;

/** `TREEHOUSE_RESTART_BACKOFF`: the first step; the backoff doubles from it (1, 2, 4, 8, 16 s by default). */
function backoffSteps(value: string | undefined): number[] | undefined {
  if (value === undefined || value === "") return undefined;
  const firstStepMs = parseDuration(value, "TREEHOUSE_RESTART_BACKOFF");
  return RESTART_BACKOFF_MS.map((step) => (step / 1000) * firstStepMs);
}

export default async function run(this: AppContext, flags: RunFlags, ...command: string[]): Promise<void> {
  if (flags.detach) return await (await import("./control/detach.ts")).default.call(this, flags, ...command);
  // A detached run's wrapper (started by --detach) writes everything to its log file.
  const log = flags.logFile === undefined ? undefined : new RotatingLog(flags.logFile);
  try {
    await runHere.call(this, flags, command, log);
  } catch (error) {
    log?.line(error instanceof TreehouseError ? formatError(error, this.verbose) : String(error));
    throw error;
  } finally {
    log?.close();
  }
}

async function runHere(
  this: AppContext,
  flags: RunFlags,
  command: string[],
  log: RotatingLog | undefined,
): Promise<void> {
  const settings = loadSettings(this.env, this.cwd);
  const target = resolveTarget(this, flags);
  const backoffMs = backoffSteps(this.env("TREEHOUSE_RESTART_BACKOFF"));
  const registry = openRegistry(this);
  try {
    // The service, its command (with the framework's preset), port and checks, before anything is allocated.
    const plan = prepareRun(registry, target, {
      typed: command,
      service: flags.service,
      port: flags.port,
      ready: flags.ready,
      restart: flags.restart,
      preset: flags.preset !== false,
    }, { config: settings.run, defaultPort: settings.defaultPort, env: this.env, cwd: this.cwd });
    if (plan.fromConfig) {
      await confirmProjectCommand(this, registry, target.project_path, plan, flags.yes === true);
    }
    // `[run] https = true` is the service's default for --https (then the https setting).
    const deps = await runDeps(
      this,
      { ...flags, https: flags.https ?? plan.https, service: plan.service },
      settings,
      registry,
      log,
    );
    const project = projectCollaborator(plan, {
      presetOff: flags.preset === false,
      noticeDir: settings.run?.dir ?? this.cwd,
      os: this.os,
    });
    const [program, ...args] = plan.words as [string, ...string[]];
    const outcome = await runServer({
      ...deps,
      cwd: plan.cwd ?? deps.cwd,
      collaborators: [project, ...deps.collaborators],
    }, {
      command: program,
      args,
      target,
      settings,
      port: plan.port,
      name: flags.name,
      mdns: flags.mdns,
      envPort: flags.envPort,
      restart: plan.restart,
      ready: plan.ready,
      readyTimeoutMs: (flags.readyTimeout ?? DEFAULT_READY_TIMEOUT_S) * 1000,
      killTimeoutMs: (flags.killTimeout ?? DEFAULT_KILL_TIMEOUT_S) * 1000,
      backoffMs,
      quiet: flags.quiet ?? false,
      hosts: flags.hosts ?? false,
    });
    this.exitCode = outcome.code;
  } finally {
    registry.close();
  }
}

/**
 * A command the project's treehouse.toml brought runs only with the user's yes: asked once on a
 * terminal (remembered per project and content), `--yes` for scripts, else a usage error (exit 2).
 */
async function confirmProjectCommand(
  ctx: AppContext,
  registry: Registry,
  project_path: string,
  plan: RunPlan,
  yes: boolean,
): Promise<void> {
  const pending = await pendingConsent(registry, project_path, plan);
  if (!pending) return;
  const { askConsent } = await import("../consent-prompt.ts");
  if (await askConsent(ctx, plan, yes) && !yes) {
    giveConsent(registry, project_path, plan, pending.hash, Date.now());
  }
}
