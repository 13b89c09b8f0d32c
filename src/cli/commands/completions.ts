/**
 * `treehouse completions bash|zsh|fish` prints a script; the scripts call the hidden
 * `treehouse completions propose -- <words…>`, which asks stricli for the completions of the
 * partial command line, so they follow every command and flag without being regenerated.
 */
import { proposeCompletions } from "@stricli/core";
import { completionScript, type Shell } from "../completion-scripts.ts";
import type { AppContext } from "../context.ts";
import { out } from "../output.ts";

/** The command printing the script for `shell`. */
export function script(shell: Shell) {
  return function (this: AppContext): void {
    out(this, completionScript(shell));
  };
}

/** Global flags the runner takes out before stricli sees the line: `--db` takes a value. */
function withoutGlobals(words: readonly string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const last = i === words.length - 1;
    if (!last && w === "--db") i++;
    else if (!last && (w === "--verbose" || w.startsWith("--db="))) continue;
    else rest.push(w);
  }
  return rest;
}

/** Prints one completion per line for the words typed after `treehouse` (the last one partial). */
export async function propose(
  this: AppContext,
  _flags: Record<string, never>,
  ...words: string[]
): Promise<void> {
  const inputs = withoutGlobals(words.length === 0 ? [""] : words);
  const ctx = { ...this, process: { ...this.process, stdout: { write() {} }, stderr: { write() {} } } };
  if (!this.loadApp) throw new Error("completions propose needs the entry point's loadApp");
  const proposals = await proposeCompletions(await this.loadApp(), inputs, ctx);
  const seen = new Set<string>();
  const lines = proposals.map((p) => p.completion).filter((c) =>
    !seen.has(c) && seen.add(c) && c !== "propose"
  );
  if (lines.length > 0) out(this, `${lines.join("\n")}\n`);
}
