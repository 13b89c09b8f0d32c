/** What every `treehouse setup` variant does before changing anything: show the plan, then ask. */
import { UsageError } from "../errors.ts";
import type { AppContext } from "./context.ts";
import { say } from "./output.ts";

/**
 * Whether privileged steps go through sudo: when not root. `TREEHOUSE_SUDO=1|0` forces it either way
 * (tests: exercising the sudo path as root, or writing under a temp root as a normal user).
 */
export function needsSudo(ctx: AppContext): boolean {
  const forced = ctx.env("TREEHOUSE_SUDO");
  if (forced === "1" || forced === "0") return forced === "1";
  return Deno.uid() !== 0;
}

/**
 * Prints `<title> will:` and the plan's lines; false (nothing to do) in a dry run, or when sudo is
 * needed and the user says no. Without a terminal to ask on, sudo needs `--yes`.
 */
export function planConfirmed(
  ctx: AppContext,
  title: string,
  lines: readonly string[],
  opts: { readonly dryRun?: boolean; readonly sudo: boolean; readonly yes?: boolean },
): boolean {
  say(ctx, `${title} will:`);
  for (const line of lines) say(ctx, `  ${line}`);
  if (opts.dryRun) {
    say(ctx, "Dry run: nothing changed");
    return false;
  }
  if (opts.sudo && !opts.yes) {
    if (!Deno.stdin.isTerminal()) {
      throw new UsageError("setup needs sudo and cannot ask here (stdin is not a terminal)", {
        hint: "Run it in a terminal, or pass --yes to proceed without asking",
      });
    }
    if (!confirm("Run these commands with sudo?")) {
      say(ctx, "Nothing changed");
      return false;
    }
  }
  return true;
}
