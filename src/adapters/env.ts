/**
 * The process environment as an adapter: the `Env` seam every module takes, the one reader over
 * `Deno.env` that the entry point hands down (tests and callers pass their own), and the one reader
 * of the operating system for the low-level adapters (/proc or ps, lsof, signal numbers).
 */

/** Reads environment variables; a seam so tests and callers can pass their own. */
export type Env = (name: string) => string | undefined;

/** The process's environment (what child processes inherit too). */
export const denoEnv: Env = (name) => Deno.env.get(name);

/** The operating system this process runs on (`Deno.build.os`: "linux", "darwin"…). */
export function hostOs(): string {
  return Deno.build.os;
}
