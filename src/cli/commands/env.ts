/** `treehouse env`: the branch's variables for `eval "$(treehouse env)"`, direnv or scripts. */
import { loadSettings } from "../../services/settings.ts";
import { UsageError } from "../../errors.ts";
import type { AppContext } from "../context.ts";
import { json, out, renderVariables } from "../output.ts";
import { type AllocationView, type AppFlags, type BranchFlags, openRegistry, viewOf } from "../target.ts";
import { branchVariables } from "../../services/run/project-run.ts";
import { urlFor } from "../../core/child-env.ts";
import { allocateFor } from "./allocate.ts";

/** Output formats of `env`. */
export const ENV_FORMATS = ["shell", "fish", "dotenv", "json"] as const;

/** The variables treehouse exports for a branch. */
export function envVars(v: AllocationView): Record<string, string> {
  return {
    TREEHOUSE_IP: v.ip,
    TREEHOUSE_HOST: v.host,
    TREEHOUSE_URL: v.url,
    ...(v.https_url ? { TREEHOUSE_HTTPS_URL: v.https_url } : {}),
    TREEHOUSE_BRANCH: v.branch,
    TREEHOUSE_DB_NAME: v.db_name,
  };
}

/** Renders variables in one of {@link ENV_FORMATS}. */
export function renderEnv(vars: Record<string, string>, format: string): string {
  switch (format) {
    case "shell":
    case "fish":
    case "dotenv":
      return renderVariables(vars, format);
    case "json":
      return json(vars);
    default:
      throw new UsageError(`Unknown format "${format}"`, { hint: `Use one of: ${ENV_FORMATS.join(", ")}` });
  }
}

export default async function env(
  this: AppContext,
  flags: BranchFlags & AppFlags & { format?: (typeof ENV_FORMATS)[number] },
): Promise<void> {
  const { allocation, front } = allocateFor(this, flags);
  const settings = loadSettings(this.config, this.cwd);
  const view = viewOf(allocation, settings, this.host.isAlive, front);
  // The port and the group's ports, as `run` passes them (the group is reserved like run does).
  const registry = openRegistry(this);
  let ports;
  try {
    ports = await branchVariables(registry, allocation, settings, true, this.host.probe);
  } finally {
    registry.close();
  }
  const base = envVars(view);
  const vars: Record<string, string> = {
    TREEHOUSE_IP: view.ip,
    TREEHOUSE_HOST: view.host,
    ...ports.vars,
    ...base,
    // A running HTTPS front's URL stays; otherwise the URL has the port a plain `run` uses.
    TREEHOUSE_URL: front ? base.TREEHOUSE_URL as string : urlFor(view.host, ports.port),
  };
  out(this, renderEnv(vars, flags.format ?? "shell"));
}
