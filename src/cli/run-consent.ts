/** `treehouse run`'s question before a command the project's treehouse.toml brought. */
import type { RunPlan } from "../core/run-plan.ts";
import type { Registry } from "../registry/registry.ts";
import { giveConsent, pendingConsent } from "../services/run/project-run.ts";
import type { AppContext } from "./context.ts";

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
