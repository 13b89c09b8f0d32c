/**
 * The process environment as an adapter: the `Env` seam every module takes, and the one reader over
 * `Deno.env` that the entry point hands down (tests and callers pass their own).
 */

/** Reads environment variables; a seam so tests and callers can pass their own. */
export type Env = (name: string) => string | undefined;

/** The process's environment (what child processes inherit too). */
export const denoEnv: Env = (name) => Deno.env.get(name);
