/** `treehouse run`'s question before a command the project's treehouse.toml brought. */
import type { RunPlan } from "../core/run-plan.ts";
import type { Registry } from "../registry/registry.ts";
import { giveConsent, pendingConsent, prepareRun, type RunKey } from "../services/run/project-run.ts";
import type { Settings } from "../services/settings.ts";
import type { AppContext } from "./context.ts";
import type { RunFlags } from "./run-deps.ts";

/**
 * The run's plan from its flags and the project's settings (service, command with the preset, port,
 * checks), its `[run]` command agreed to first: `run` and `run --detach` both start this way.
 */
export async function plannedRun(
  ctx: AppContext,
  registry: Registry,
  target: RunKey & { project_path: string },
  flags: RunFlags,
  command: string[],
  settings: Settings,
): Promise<RunPlan> {
  const plan = prepareRun(registry, target, {
    typed: command,
    service: flags.service,
    port: flags.port,
    ready: flags.ready,
    restart: flags.restart,
    preset: flags.preset !== false,
  }, { config: settings.run, defaultPort: settings.defaultPort, env: ctx.env, cwd: ctx.cwd });
  if (plan.fromConfig) {
    await confirmProjectCommand(ctx, registry, target.project_path, plan, flags.yes === true);
  }
  return plan;
}

/**
 * A command the project's treehouse.toml brought runs only with the user's yes: asked once on a
 * terminal (remembered per project and content), `--yes` for scripts, else a usage error (exit 2).
 */
export async function confirmProjectCommand(
  ctx: AppContext,
  registry: Registry,
  project_path: string,
  plan: RunPlan,
  yes: boolean,
): Promise<void> {
  const pending = await pendingConsent(registry, project_path, plan);
  if (!pending) return;
  const { askConsent } = await import("./consent-prompt.ts");
  if (await askConsent(ctx, plan, yes) && !yes) {
    giveConsent(registry, project_path, plan, pending.hash, Date.now());
  }
}
