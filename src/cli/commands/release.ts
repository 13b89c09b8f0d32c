/** `treehouse release [BRANCH]`: remove a branch's allocation. */
import { hostFor } from "../../core/hostname-template.ts";
import { loadSettings } from "../../services/settings.ts";
import { releaseAllocation } from "../../registry/allocations.ts";
import type { AppContext } from "../context.ts";
import { json, out, say } from "../output.ts";
import { type BranchFlags, notAllocated, openRegistryIfExists, resolveTarget } from "../target.ts";

export default function release(
  this: AppContext,
  flags: BranchFlags & { json?: boolean },
  branchArg?: string,
): void {
  const target = resolveTarget(this, flags, branchArg);
  // Before anything changes: an invalid configuration stops the command, not its report.
  const template = loadSettings(this.env, this.cwd).hostnameTemplate;
  const registry = openRegistryIfExists(this);
  try {
    const released = registry && releaseAllocation(registry, target.project_path, target.branch);
    if (!released) throw notAllocated(target, "See what is allocated with `treehouse list --all`");
    if (flags.json) out(this, json(released));
    else say(this, `Released ${released.ip} (${hostFor(released, template)}) from ${released.branch}`);
  } finally {
    registry?.close();
  }
}
