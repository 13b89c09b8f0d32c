/** Where the registry lives: `--db`, then `TREEHOUSE_DB`, then `$XDG_DATA_HOME/treehouse/registry.db`. */
import { UsageError } from "../errors.ts";

import { denoEnv, type Env } from "../adapters/env.ts";

export { denoEnv, type Env };

/** Works out the registry path once, from the flag, the environment or XDG defaults. */
export function registryPath(flag: string | undefined, env: Env = denoEnv, cwd?: string): string {
  const explicit = flag ?? env("TREEHOUSE_DB");
  if (explicit !== undefined && explicit !== "") {
    const path = expandHome(explicit, env);
    if (path.startsWith("/")) return path;
    // Relative: against the current directory, once. The data directory (logs, tls/) is the registry's
    // directory, and `rel.db` has none: its logs went to `./r`, its CA to `./rel.d/tls`.
    return `${(cwd ?? Deno.cwd()).replace(/\/+$/, "")}/${path.replace(/^(\.\/)+/, "")}`;
  }
  const xdg = env("XDG_DATA_HOME");
  if (xdg) return `${xdg.replace(/\/+$/, "")}/treehouse/registry.db`;
  const home = env("HOME");
  if (!home) {
    throw new UsageError("Cannot find the registry: HOME is not set", {
      hint: "Set TREEHOUSE_DB=/path/to/registry.db or pass --db PATH",
    });
  }
  return `${home}/.local/share/treehouse/registry.db`;
}

/** Expands a leading `~` using HOME. */
export function expandHome(path: string, env: Env = denoEnv): string {
  if (path === "~" || path.startsWith("~/")) {
    const home = env("HOME");
    if (home) return home + path.slice(1);
  }
  return path;
}
