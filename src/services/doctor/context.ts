/**
 * What every doctor check reads, and what the early checks leave for the later ones (the registry,
 * the settings, the allocations); the shared wording of a problem.
 */
import type { Settings } from "../settings.ts";
import { TreehouseError } from "../../errors.ts";
import type { Allocation } from "../../registry/allocations.ts";
import type { Registry } from "../../registry/registry.ts";
import type { Platform } from "../../adapters/platform/platform.ts";
import type { Host } from "../../adapters/platform/host.ts";
import type { Env } from "../../adapters/env.ts";
import type { Config } from "../../adapters/config-files.ts";

/** The doctor's run: given by the CLI, filled in by the checks in order. */
export interface DoctorContext {
  env: Env;
  /** The command's configuration (files, parser). */
  config: Config;
  cwd: string;
  /** The machine (its OS and process probes), from the entry point. */
  host: Host;
  /** `--fix`: repair what needs no root rights. */
  fix: boolean;
  dbPath: string;
  platform: Platform;
  /** Set by the settings check. */
  settings?: Settings;
  /** Set by the registry check. */
  allocations?: Allocation[];
  /** Opened by the registry check; the caller closes it. */
  registry?: Registry;
}

/** Why a check that needs the registry or the settings is skipped. */
export function noRegistry(env: DoctorContext): string {
  return env.registry ? "the settings are invalid" : "no usable registry (see above)";
}

/** A failure as a check's detail and fix: a TreehouseError's hint is its fix. */
export function problem(error: unknown): { detail: string; fix?: string } {
  if (error instanceof TreehouseError) return { detail: error.message, fix: error.hint };
  return { detail: error instanceof Error ? error.message : String(error) };
}
