/**
 * `treehouse run -- CMD [ARGS…]`: flags → `runServer` (src/services/run/session.ts) → the child's
 * exit code. The use case allocates the branch, checks its IP:port, supervises CMD with the branch's
 * variables, and its collaborators announce the name and keep the heartbeat.
 */
import { parseDuration } from "../../core/duration.ts";
import { RESTART_BACKOFF_MS } from "../../core/child-env.ts";
import { UsageError } from "../../errors.ts";
import { runServer } from "../../services/run/session.ts";
import { loadSettings } from "../../services/settings.ts";
import type { AppContext } from "../context.ts";
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
  const [program, ...args] = command;
  if (program === undefined || program === "") {
    throw new UsageError("No command to run", {
      hint: "Example: treehouse run -- python3 -m http.server {port} --bind {ip}",
    });
  }
  const settings = loadSettings(this.env, this.cwd);
  const target = resolveTarget(this, flags);
  const backoffMs = backoffSteps(this.env("TREEHOUSE_RESTART_BACKOFF"));
  const registry = openRegistry(this);
  try {
    const deps = await runDeps(this, flags, settings, registry);
    const outcome = await runServer(deps, {
      command: program,
      args,
      target,
      settings,
      port: flags.port ?? settings.defaultPort,
      name: flags.name,
      mdns: flags.mdns,
      envPort: flags.envPort,
      restart: flags.restart,
      ready: flags.ready,
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
