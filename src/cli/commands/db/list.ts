/** `treehouse db list`. */
import { formatBytes } from "../../../core/database-url.ts";
import { loadSettings } from "../../../services/settings.ts";
import { postgresEngine } from "../../../adapters/postgres/client.ts";
import { listBranchDatabases } from "../../../services/db/list.ts";
import type { AppContext } from "../../context.ts";
import { formatTime, json, nameCell, out, say, table, warn } from "../../output.ts";
import { openRegistryIfExists, resolveTarget } from "../../target.ts";
import { serverOf } from "./common.ts";

/** Flags of `db list`. */
export interface ListFlags {
  readonly json?: boolean;
  readonly all?: boolean;
  readonly project?: string;
}

/** `db list`. */
export async function list(this: AppContext, flags: ListFlags): Promise<void> {
  const settings = loadSettings(this.config, this.cwd);
  const resolved = serverOf(this, settings);
  let project: string | undefined;
  if (!flags.all) {
    try {
      project = resolveTarget(this, { project: flags.project }).project_path;
    } catch (error) {
      if (flags.project !== undefined) throw error; // outside a repository: every project's
    }
  }
  const registry = openRegistryIfExists(this);
  if (!registry) {
    if (flags.json) out(this, json([]));
    else say(this, "No databases created by treehouse yet");
    return;
  }
  try {
    const { databases, serverProblem } = await listBranchDatabases(
      { registry, engine: postgresEngine, resolved },
      { project_path: project },
    );
    if (serverProblem) warn(this, `${serverProblem} (sizes not shown)`);
    if (flags.json) {
      out(this, json(databases));
      return;
    }
    if (databases.length === 0) {
      say(
        this,
        `No databases created by treehouse${project ? ` in ${project} (--all for every project)` : ""}`,
      );
      return;
    }
    const rows = databases.map((d) => [
      nameCell(d.branch),
      d.name,
      d.size === null ? (d.exists === false ? "missing" : "?") : formatBytes(d.size),
      d.state === "creating" ? "unfinished" : d.source ?? (d.method === "adopted" ? "(adopted)" : "(empty)"),
      formatTime(d.created_at),
      d.branch_exists === null ? "?" : d.branch_exists ? "yes" : "no",
      d.server === resolved.key ? d.project_path : `${d.project_path} (${d.server})`,
    ]);
    out(this, table(["BRANCH", "DATABASE", "SIZE", "FROM", "CREATED", "BRANCH EXISTS", "PROJECT"], rows));
  } finally {
    registry.close();
  }
}
