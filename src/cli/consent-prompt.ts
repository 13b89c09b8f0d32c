/**
 * Asking before running a command a project's treehouse.toml brought (a cloned repository's file
 * must never start a program silently): the command and its variables are shown, then a yes/no on
 * the terminal. `--yes` answers for scripts; off a terminal without it, a usage error says how.
 */
import { ConsentRequiredError } from "../errors.ts";
import type { RunPlan } from "../core/run-plan.ts";
import type { AppContext } from "./context.ts";
import { paint, say } from "./output.ts";

/** The command as it will be asked about: the file's words, quoted where needed. */
export function describeDeclared(plan: RunPlan): string {
  const quote = (w: string) => /^[\w@%+=:,./{}-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`;
  const lines = [`  ${(plan.declared?.command ?? plan.words).map(quote).join(" ")}`];
  for (const [k, v] of Object.entries(plan.declared?.env ?? {})) lines.push(`  with ${k}=${quote(v)}`);
  return lines.join("\n");
}

/** Reads one line from stdin (the answer), undefined at end of input. */
async function readLine(): Promise<string | undefined> {
  const buffer = new Uint8Array(1);
  const bytes: number[] = [];
  for (;;) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) return bytes.length ? new TextDecoder().decode(new Uint8Array(bytes)) : undefined;
    if (buffer[0] === 10) return new TextDecoder().decode(new Uint8Array(bytes));
    bytes.push(buffer[0] as number);
  }
}

/**
 * True when the command may run: `yes` (shown, not asked), or the user's yes on a terminal. A no is
 * a usage error (nothing ran); no terminal and no `yes` is a {@link ConsentRequiredError}.
 */
export async function askConsent(ctx: AppContext, plan: RunPlan, yes: boolean): Promise<boolean> {
  const source = plan.source ?? "treehouse.toml";
  const service = plan.service === "default" ? "[run]" : `[run.${plan.service}]`;
  const shown = describeDeclared(plan);
  if (yes) {
    say(ctx, `treehouse: running ${source} ${service} (--yes):\n${shown}`);
    return true;
  }
  if (!Deno.stdin.isTerminal()) {
    throw new ConsentRequiredError(
      `${source} ${service} wants to run a command you have not agreed to:\n${shown}`,
      {
        hint: "Run `treehouse run` once on a terminal to agree (asked again when it changes), or pass --yes",
      },
    );
  }
  say(
    ctx,
    `${paint(ctx.color, "1", `treehouse: ${source} ${service} wants to run:`)}\n${shown}\n` +
      "It came with the project: run it only if you trust it. Asked again when it changes.",
  );
  ctx.process.stderr.write("Run it? [y/N] ");
  const answer = (await readLine())?.trim().toLowerCase();
  if (answer === "y" || answer === "yes") return true;
  throw new ConsentRequiredError("Not run: you did not agree to the project's command", {
    hint: `Read ${source} first; type the command after \`--\` to run your own instead`,
  });
}
