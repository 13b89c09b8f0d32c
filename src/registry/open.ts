/**
 * Opening the registry from commands that may run as root (hosts, setup --port80): never create
 * one. Under sudo HOME is root's, so a registry created there would be empty and owned by root;
 * a missing one is an error that names the user's registry to pass with --db.
 */
import { RegistryError } from "../errors.ts";
import { type Env, registryPath } from "./path.ts";
import { Registry } from "./registry.ts";

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
