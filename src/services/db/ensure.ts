/**
 * `run`'s database part: with `[database] create = "clone"|"empty"` (or `run --database`), the branch's
 * database is created before the server starts when the registry has no finished record of it. A
 * database already recorded costs no connection and loads no client: the check is one registry read,
 * and the PostgreSQL client, git and the create service are imported only when something is created.
 * The child gets `TREEHOUSE_DATABASE_URL`, and `DATABASE_URL` unless its environment already has one.
 */
import type { DatabaseCreate } from "../../core/config-schema.ts";
import { isDatabaseReady } from "../../registry/databases.ts";
import type { Registry } from "../../registry/registry.ts";
import type { CreateResult, DbEvent } from "./create.ts";
import { branchUrl, type ConfiguredUrl, type Env, maskedBranchUrl, resolveServer } from "./server.ts";

/** What `run` knows when it asks. */
export interface EnsureRequest {
  mode: DatabaseCreate;
  project_path: string;
  branch: string;
  app: string;
  /** The allocation's database name. */
  name: string;
  /** `[database]` of the settings. */
  database: { url?: string; template?: string; from?: string };
  /** Where `[database] url` came from (`FILE:LINE`), if a file set it. */
  urlSource?: string;
  /** The environment the child inherits (for `DATABASE_URL`) and the server comes from. */
  env: Env;
  onEvent?: (event: DbEvent) => void;
}

/** What the child gets, and what to tell the user. */
export interface EnsureResult {
  /** Variables for the child. */
  vars: Record<string, string>;
  /** The branch's URL, password masked (banner). */
  label: string;
  /** Set when the database was created (or found) by a connection now; undefined on the hot path. */
  created?: CreateResult;
  /** One-line notes: which `DATABASE_URL` won, what was created. */
  notes: string[];
}

/** Creates the branch's database when needed and returns the child's variables; nothing for `"no"`. */
export async function ensureBranchDatabase(
  registry: Registry,
  req: EnsureRequest,
): Promise<EnsureResult | undefined> {
  if (req.mode === "no") return undefined;
  const configured: ConfiguredUrl = { url: req.database.url, source: req.urlSource };
  const resolved = resolveServer(configured, req.env);
  const notes: string[] = [];
  let created: CreateResult | undefined;
  if (!isDatabaseReady(registry, resolved.key, req.name)) {
    created = await createForRun(registry, req, resolved);
    const r = created.record;
    notes.push(
      created.status === "exists"
        ? `database ${r.name} already exists`
        : r.method === "empty"
        ? `created database ${r.name} (empty)`
        : `created database ${r.name} from ${r.source} (${
          r.method === "dump" ? "pg_dump | pg_restore" : "TEMPLATE"
        })`,
    );
  }
  const url = branchUrl(resolved, req.name);
  const vars: Record<string, string> = { TREEHOUSE_DATABASE_URL: url };
  const inherited = req.env("DATABASE_URL");
  if (inherited === undefined || inherited === "") vars.DATABASE_URL = url;
  else if (inherited !== url) {
    notes.push("DATABASE_URL from the environment was kept; TREEHOUSE_DATABASE_URL is the branch's database");
  }
  return { vars, label: maskedBranchUrl(resolved, req.name), created, notes };
}

async function createForRun(
  registry: Registry,
  req: EnsureRequest,
  resolved: ReturnType<typeof resolveServer>,
): Promise<CreateResult> {
  const [{ createDatabase }, { postgresEngine }, { chooseBase }] = await Promise.all([
    import("./create.ts"),
    import("../../adapters/postgres/client.ts"),
    import("./base.ts"),
  ]);
  let base: string | undefined;
  let baseBranch: string | undefined;
  if (req.mode === "clone") {
    const chosen = chooseBase(registry, req, { template: req.database.template, from: req.database.from });
    base = chosen.name;
    baseBranch = chosen.branch;
    if (base === req.name) base = undefined; // the base branch itself starts empty
  }
  return await createDatabase(
    { registry, engine: postgresEngine, resolved, now: Date.now, pid: Deno.pid, onEvent: req.onEvent },
    { project_path: req.project_path, branch: req.branch, name: req.name, base, baseBranch },
  );
}
