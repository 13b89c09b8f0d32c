/**
 * The process environment as an adapter: the `Env` seam every module takes, the one reader over
 * `Deno.env` that the entry point hands down (tests and callers pass their own). The operating
 * system comes with the `Host` (adapters/platform/host.ts), built by the CLI runner.
 */

/** Reads environment variables; a seam so tests and callers can pass their own. */
export type Env = (name: string) => string | undefined;

/** The process's environment (what child processes inherit too). */
export const denoEnv: Env = (name) => Deno.env.get(name);
