/**
 * tmux for the tests that need a real terminal: whether it is installed, a private tmux server per
 * test (`-L socket`, no user configuration), and the shell words that start this checkout's
 * treehouse with exactly the test's environment.
 */
import { shellQuote } from "../../src/cli/output.ts";
import { MAIN } from "./cli.ts";

/** Whether tmux runs here (the terminal tests are ignored without it). */
export const hasTmux = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

/** A tmux server name of this test process's own: `<prefix>-<pid>-<random>`. */
export function tmuxSocket(prefix: string): string {
  return `${prefix}-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Runs `tmux -L <socket> -f /dev/null …args` and returns its stdout. */
export async function tmux(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, "-f", "/dev/null", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

/** `env -i K=V… <deno> run -A --quiet <main.ts>`, every word quoted for the shell. */
export function treehouseWords(env: Record<string, string>): string {
  return [
    "env -i",
    ...Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`)),
    shellQuote(Deno.execPath()),
    "run -A --quiet",
    shellQuote(MAIN),
  ].join(" ");
}

/** An interactive bash without start-up files, the shell of most terminal tests. */
export const PLAIN_BASH = "bash --norc --noprofile -i";

/** Starts tmux session `t`, `width`×`height`, running `command` (default {@link PLAIN_BASH}). */
export function newSession(socket: string, command = PLAIN_BASH, width = 200, height = 50): Promise<string> {
  return tmux(socket, "new-session", "-d", "-s", "t", "-x", String(width), "-y", String(height), command);
}
