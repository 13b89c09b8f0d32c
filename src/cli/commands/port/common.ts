/** What the `port` commands share: the path and tag flags, settings, the registry. */
import { loadSettings, type Settings } from "../../../services/settings.ts";
import { UsageError } from "../../../errors.ts";
import { normalizePath } from "../../../adapters/paths.ts";
export { policyOf } from "../../../services/reserve/reserve.ts";
import type { Registry } from "../../../registry/registry.ts";
import type { AppContext } from "../../context.ts";
import { openRegistry, openRegistryIfExists } from "../../target.ts";

/** The reservation key path of `--path` (default: the current directory). */
export function keyPath(ctx: AppContext, path: string | undefined): string {
  if (path !== undefined && path.trim() === "") {
    throw new UsageError("--path is empty", { hint: "Pass a directory, e.g. --path ~/src/app" });
  }
  return normalizePath(path ?? ctx.cwd, ctx.cwd, ctx.env("HOME"));
}

/** A tag from `--tag`: trimmed; empty means untagged. */
export function tagOf(tag: string | undefined): string | null {
  const t = tag?.trim();
  if (t === undefined || t === "") return null;
  if ([...t].some((c) => c < " ")) {
    throw new UsageError("--tag holds control characters", { hint: "Use a plain name" });
  }
  return t;
}

/** Settings for the current directory. */
export function settingsOf(ctx: AppContext): Settings {
  return loadSettings(ctx.config, ctx.cwd);
}

/** Opens the registry (creating it: for commands that write), runs `fn`, closes it. */
export function withRegistry<T>(ctx: AppContext, fn: (registry: Registry) => T): T {
  const registry = openRegistry(ctx);
  try {
    return fn(registry);
  } finally {
    registry.close();
  }
}

/**
 * For commands that only read or remove: runs `fn` on the registry if it exists (never creating one),
 * else returns `missing` (what an empty registry would give).
 */
export function readRegistry<T>(ctx: AppContext, fn: (registry: Registry) => T, missing: T): T {
  const registry = openRegistryIfExists(ctx);
  if (!registry) return missing;
  try {
    return fn(registry);
  } finally {
    registry.close();
  }
}
