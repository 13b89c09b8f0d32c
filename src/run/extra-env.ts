/**
 * Extra variables `treehouse run` gives its child beyond the allocation's own (e.g. the ports of
 * the project's reservation group). Filled in by the port-reservation feature.
 */
import type { AppContext } from "../cli/context.ts";

/** Variables to add to the child's environment for a run started in `cwd`. */
export function extraEnv(_ctx: AppContext, _cwd: string): Record<string, string> {
  return {};
}
