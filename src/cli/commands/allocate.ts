/** `treehouse allocate`: get-or-allocate this branch and show everything about it. */
import { hostFor, renderHostname } from "../../core/hostname-template.ts";
import { loadSettings } from "../../services/settings.ts";
import { type AllocateResult, getOrAllocate } from "../../registry/allocations.ts";
import { labelForBranch } from "../../core/sanitize.ts";
import { machineLabels } from "../../adapters/machine-name.ts";
import type { AppContext } from "../context.ts";
import { json, out, say } from "../output.ts";
import { type AppFlags, type BranchFlags, frontsOf, openRegistry, resolveTarget, viewOf } from "../target.ts";
import { renderInfo } from "./info.ts";

/** Get-or-allocate for the command's branch; shared by `ip`, `env` and `allocate`. */
export function allocateFor(
  ctx: AppContext,
  flags: BranchFlags & AppFlags & { name?: string },
): AllocateResult & { front?: { url: string; https_url: string | null } } {
  const settings = loadSettings(ctx.config, ctx.cwd);
  const target = resolveTarget(ctx, flags);
  const registry = openRegistry(ctx);
  try {
    const result = getOrAllocate(registry, {
      ...target,
      pool: settings.pool,
      now: Date.now(),
      reclaimAfterMs: settings.reclaimAfterMs,
      isAlive: ctx.host.isAlive,
      name: flags.name,
      reserved: machineLabels,
    });
    if (result.reclaimed) {
      say(
        ctx,
        `treehouse: reclaimed ${result.reclaimed.ip} from ${result.reclaimed.branch} (${result.reclaimed.project_path}), unused for a long time`,
      );
    }
    const wanted = labelForBranch(flags.name ?? target.branch);
    if (result.created && result.allocation.hostname !== wanted) {
      const template = settings.hostnameTemplate;
      say(
        ctx,
        `treehouse: ${renderHostname(template, wanted, target.project_path)} is ${
          machineLabels().includes(wanted) ? "this machine's own mDNS name" : "taken by another project"
        }, ` +
          `so this branch is ${hostFor(result.allocation, template)}`,
      );
    }
    return { ...result, front: frontsOf(registry, ctx.host.isAlive).get(result.allocation.id) };
  } finally {
    registry.close();
  }
}

export default function allocate(this: AppContext, flags: BranchFlags & AppFlags & { json?: boolean }): void {
  const { allocation, created, front } = allocateFor(this, flags);
  const view = viewOf(allocation, loadSettings(this.config, this.cwd), this.host.isAlive, front);
  if (flags.json) out(this, json({ ...view, created }));
  else out(this, renderInfo(view));
}
