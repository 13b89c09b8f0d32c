/**
 * `treehouse run -- CMD [ARGS…]`: flags → `runServer` (src/services/run/session.ts) → the child's
 * exit code. The use case allocates the branch, checks its IP:port, supervises CMD with the branch's
 * variables, and its collaborators announce the name and keep the heartbeat.
 */
import { restartBackoffFrom } from "../../core/child-env.ts";
import { projectCollaborator } from "../../services/run/project-run.ts";
import { runServer } from "../../services/run/session.ts";
import { loadSettings } from "../../services/settings.ts";
import type { AppContext } from "../context.ts";
import { formatError, TreehouseError } from "../../errors.ts";
import { RotatingLog } from "../../adapters/log-file.ts";
import { plannedRun } from "../run-consent.ts";
import { runDeps, type RunFlags } from "../run-deps.ts";
import { openRegistry, resolveTarget } from "../target.ts";

export type { RunFlags };

/** Default seconds between a forwarded signal and SIGKILL. */
export const DEFAULT_KILL_TIMEOUT_S = 5;
/** Default seconds `--ready` waits. */
export const DEFAULT_READY_TIMEOUT_S = 60;

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
  const settings = loadSettings(this.config, this.cwd);
  const target = resolveTarget(this, flags);
  const backoffMs = restartBackoffFrom(this.env("TREEHOUSE_RESTART_BACKOFF"));
  const registry = openRegistry(this);
  try {
    // The service, its command (with the framework's preset), port and checks, before anything is allocated.
    const plan = await plannedRun(this, registry, target, flags, command, settings);
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
      host: this.host,
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
    // A wrapper ends while other commands start: its close must not sync under the exclusive lock.
    registry.close({ checkpointFirst: true });
  }
}
