/** `treehouse logs [BRANCH] [-f] [-n N]`: a run's last output lines; `-f` follows until it ends. */
import { logs as runLogs } from "../../../services/control/runs.ts";
import type { AppContext } from "../../context.ts";
import { out } from "../../output.ts";
import { type ControlFlags, runTarget, withControl } from "./common.ts";

/** Flags of `logs`. */
export interface LogsFlags extends ControlFlags {
  readonly lines?: number;
  readonly follow?: boolean;
}

/** Default number of lines. */
export const DEFAULT_LINES = 100;

export default async function logs(this: AppContext, flags: LogsFlags, branchArg?: string): Promise<void> {
  const target = runTarget(this, flags, branchArg);
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  if (flags.follow) Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    await withControl(this, (deps) =>
      runLogs(deps, target, {
        lines: flags.lines ?? DEFAULT_LINES,
        follow: flags.follow ?? false,
        signal: abort.signal,
        onLine: (line) => out(this, flags.json ? `${JSON.stringify({ line })}\n` : `${line}\n`),
      }));
  } finally {
    if (flags.follow) Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}
