/**
 * What a command is told when `treehouse run` on a terminal pipes its output through the wrapper
 * (issue 15: the wrapper keeps the recent lines for `treehouse logs`). Deno has no pseudo-terminal
 * API, so the command's stdout and stderr are pipes, not the terminal: programs that ask isatty()
 * before colouring or buffering would go plain and late. The usual overrides tell them the truth about
 * where the bytes end up. Pure.
 */

/**
 * The variables to add for a command whose output the wrapper copies unchanged to `stdoutIsTerminal`:
 * `FORCE_COLOR=1` (chalk, supports-color, Deno, many CLIs) and `CLICOLOR_FORCE=1` (BSD tools, Go and
 * Rust crates) only when the wrapper's own stdout is a colour terminal and the user set none of
 * `NO_COLOR`, `FORCE_COLOR`, `CLICOLOR_FORCE` (nor `TERM=dumb`); `PYTHONUNBUFFERED=1` (Python
 * block-buffers a pipe: lines would reach the terminal late) unless set. Nothing off a terminal.
 */
export function pipedOutputEnv(
  env: (name: string) => string | undefined,
  stdoutIsTerminal: boolean,
): Record<string, string> {
  if (!stdoutIsTerminal) return {};
  const vars: Record<string, string> = {};
  const userChoseColour = ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"].some((name) =>
    env(name) !== undefined
  );
  if (!userChoseColour && env("TERM") !== "dumb") {
    vars.FORCE_COLOR = "1";
    vars.CLICOLOR_FORCE = "1";
  }
  if (env("PYTHONUNBUFFERED") === undefined) vars.PYTHONUNBUFFERED = "1";
  return vars;
}
