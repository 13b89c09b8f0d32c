/** `treehouse release [BRANCH]`: remove a branch's allocation. */
import { NotFoundError } from "../../errors.ts";
import { releaseAllocation } from "../../registry/allocations.ts";
import type { AppContext } from "../context.ts";
import { json, out, say } from "../output.ts";
import { type BranchFlags, openRegistry, resolveTarget } from "../target.ts";

export default function release(
  this: AppContext,
  flags: BranchFlags & { json?: boolean },
  branchArg?: string,
): void {
  const target = resolveTarget(this, flags, branchArg);
  const registry = openRegistry(this);
  try {
    const released = releaseAllocation(registry, target.project_path, target.branch);
    if (!released) {
      throw new NotFoundError(`No allocation for branch "${target.branch}" in ${target.project_path}`, {
        hint: "See what is allocated with `treehouse list --all`",
      });
    }
    if (flags.json) out(this, json(released));
    else say(this, `Released ${released.ip} (${released.hostname}.local) from ${released.branch}`);
  } finally {
    registry.close();
  }
}
