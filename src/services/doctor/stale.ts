/** The cleanup check: allocations `cleanup` would remove. */
import type { Check } from "./checks.ts";
import { cleanupAllocations } from "../cleanup.ts";
import { type DoctorContext, noRegistry, problem } from "./context.ts";

export function checkStale(env: DoctorContext): Check {
  if (!env.registry || !env.settings) {
    return { id: "cleanup", status: "skip", detail: noRegistry(env) };
  }
  try {
    const found = cleanupAllocations(env.registry, {
      dryRun: !env.fix,
      now: Date.now(),
      staleAfterMs: env.settings.staleAfterMs,
      isAlive: env.host.isAlive,
    });
    if (found.length === 0) return { id: "cleanup", status: "ok", detail: "no dead allocations" };
    const names = found.slice(0, 3).map((a) => `${a.branch} (${a.reason})`).join(", ");
    const detail = `${found.length} dead allocation(s): ${names}${found.length > 3 ? ", …" : ""}`;
    if (env.fix) return { id: "cleanup", status: "warn", fixed: true, detail: `removed ${detail}` };
    return { id: "cleanup", status: "warn", detail, fix: "treehouse cleanup --all-projects" };
  } catch (error) {
    return { id: "cleanup", status: "warn", ...problem(error) };
  }
}
