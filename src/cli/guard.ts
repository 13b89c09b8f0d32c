/**
 * Wraps a command so its failure is recorded on the context instead of printed by stricli: the
 * entry point is the one place that turns errors into messages and exit codes.
 */
import type { AppContext } from "./context.ts";

// deno-lint-ignore no-explicit-any
type CommandFn = (this: AppContext, flags: any, ...args: any[]) => void | Promise<void>;

/** Returns `fn` with its errors stored in `this.failure`. */
export function guard<F extends CommandFn>(fn: F): F {
  return async function (this: AppContext, ...args: unknown[]) {
    this.onStart?.();
    try {
      await (fn as CommandFn).apply(this, args as [unknown]);
    } catch (error) {
      this.failure = error;
    }
  } as F;
}
