/**
 * The one policy for opening the registry, by what a command does with it:
 * - writing (allocate, reserve, run…): {@link openForWriting} creates it on first use;
 * - reading or removing (list, info, release, cleanup, port list/info/scan/release…):
 *   {@link openForReading} never creates one; a missing registry reads as empty (`undefined`);
 * - commands that may run as root (hosts, setup --port80): {@link openExistingRegistry} never
 *   creates one either, and a missing one is an error naming the user's registry to pass with --db
 *   (under sudo HOME is root's, so a registry created there would be empty and owned by root).
 */
import { RegistryError } from "../errors.ts";
import { type Env, registryPath } from "./path.ts";
import { Registry } from "./registry.ts";

/** Opens (creating on first use) the registry at `path`: for commands that write. */
export function openForWriting(path: string): Registry {
  return Registry.open(path);
}

/** Opens the registry at `path` if it exists: for commands that only read or remove. */
export function openForReading(path: string): Registry | undefined {
  return Registry.openIfExists(path);
}

/** Opens an existing registry (`--db`, `TREEHOUSE_DB` or the default), or throws. */
export function openExistingRegistry(dbFlag: string | undefined, env: Env, command: string): Registry {
  const path = registryPath(dbFlag, env);
  const registry = Registry.openIfExists(path);
  if (registry) return registry;
  const user = env("SUDO_USER");
  if (user) {
    throw new RegistryError(`No registry at ${path} (running as root through sudo)`, {
      hint:
        `Name ${user}'s registry: sudo "$(command -v treehouse)" --db ~${user}/.local/share/treehouse/registry.db ${command}`,
    });
  }
  return Registry.open(path, { create: false }); // throws the plain "No registry" error
}
