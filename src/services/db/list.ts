/**
 * The databases treehouse created: the registry's records, with their sizes from the server (when it
 * answers) and whether their branch still exists.
 */
import type { RepoFacts } from "../../core/cleanup-policy.ts";
import { repoFacts } from "../../adapters/git/facts.ts";
import { type DatabaseRecord, listDatabases } from "../../registry/databases.ts";
import type { DatabaseEngine } from "../../adapters/postgres/engine.ts";
import type { Registry } from "../../registry/registry.ts";
import { serverFailure } from "./failures.ts";
import type { ResolvedServer } from "./server.ts";

/** One database as `db list` shows it. */
export interface DatabaseView extends DatabaseRecord {
  /** Bytes, or null when the server was not asked (another server) or did not answer. */
  size: number | null;
  /** Whether the branch still exists in its project (null: unknown). */
  branch_exists: boolean | null;
  /** Whether the server says the database exists (null: not asked). */
  exists: boolean | null;
}

/** The listing and, when the server could not be asked, why. */
export interface DatabaseListing {
  databases: DatabaseView[];
  /** The server's failure (sizes are null then). */
  serverProblem?: string;
}

/** Lists the records of one project (all when undefined), asking the current server for sizes. */
export async function listBranchDatabases(
  deps: { registry: Registry; engine: DatabaseEngine; resolved: ResolvedServer },
  options: { project_path?: string; facts?: (project: string) => RepoFacts },
): Promise<DatabaseListing> {
  const records = listDatabases(deps.registry, { project_path: options.project_path });
  const mine = records.filter((r) => r.server === deps.resolved.key).map((r) => r.name);
  let sizes: Map<string, number> | undefined;
  let serverProblem: string | undefined;
  if (mine.length > 0) {
    try {
      const session = await deps.engine.connect(deps.resolved.server);
      try {
        sizes = await session.sizes(mine);
      } finally {
        await session.close();
      }
    } catch (error) {
      const mapped = serverFailure(error, deps.resolved, "read sizes");
      serverProblem = mapped instanceof Error ? mapped.message : String(mapped);
    }
  }
  const factsOf = options.facts ?? repoFacts;
  const facts = new Map<string, RepoFacts>();
  const databases = records.map((r) => {
    let repo = facts.get(r.project_path);
    if (!repo) facts.set(r.project_path, repo = factsOf(r.project_path));
    const asked = sizes !== undefined && r.server === deps.resolved.key;
    return {
      ...r,
      size: asked ? sizes?.get(r.name) ?? null : null,
      exists: asked ? sizes?.has(r.name) ?? null : null,
      branch_exists: repo.kind === "repository"
        ? repo.branches.has(r.branch)
        : repo.kind === "missing"
        ? false
        : null,
    };
  });
  return { databases, serverProblem };
}
