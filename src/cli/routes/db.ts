/** Commands of the per-branch database feature (issue 14), registered in `src/cli/app.ts`. */
import { buildCommand, buildRouteMap } from "@stricli/core";
import { appFlag, branchArg, branchFlags, docs, jsonFlag, stringFlag, switchFlag } from "../flags.ts";
import { guard } from "../guard.ts";

const SERVER_NOTE = "The server: [database] url in treehouse.toml, else TREEHOUSE_DATABASE_URL, else " +
  "PGHOST/PGPORT/PGUSER/PGPASSWORD, else postgres://localhost:5432 as the current user. Passwords are " +
  "masked in every message; only `db url` prints the real URL. Exit codes: 3 no such database or base, " +
  "7 a database of that name treehouse did not create (or in use), 9 authentication refused, " +
  "10 pg_dump/pg_restore missing, 14 server unreachable or failed.";

const baseFlags = {
  from: stringFlag(
    "Copy this branch's database (default: [database] template/from, else the default branch)",
    "BRANCH",
  ),
  fromDatabase: stringFlag("Copy this database, whatever its name (e.g. your old my_app_dev)", "NAME"),
  empty: switchFlag("Create an empty database instead of a copy"),
  terminate: switchFlag(
    "End the base's other sessions for the fast copy (its server reconnects) instead of pg_dump | pg_restore",
  ),
} as const;

const yesFlag = { yes: switchFlag("Confirm: the database's data is deleted") } as const;

const url = buildCommand({
  loader: async () => guard((await import("../commands/db/url.ts")).url),
  parameters: { flags: { ...branchFlags, ...appFlag, ...jsonFlag }, positional: branchArg },
  docs: docs(
    "Print the branch's database URL (the server's URL with the branch's database)",
    ["treehouse db url", 'psql "$(treehouse db url)"', "treehouse db url feature/login --json"],
    "Only composes the URL: it is printed (exit 0) even when the server is down or the database does " +
      "not exist yet (`treehouse db create` makes it).\n\n" + SERVER_NOTE,
  ),
});

const create = buildCommand({
  loader: async () => guard((await import("../commands/db/create.ts")).create),
  parameters: {
    flags: {
      ...branchFlags,
      ...appFlag,
      ...baseFlags,
      adopt: switchFlag("Record an existing database of the branch's name as its own, without touching it"),
      ...jsonFlag,
    },
    positional: branchArg,
  },
  docs: docs(
    "Create the branch's database, cloned from the base branch's (or empty)",
    [
      "treehouse db create",
      "treehouse db create --from-database my_app_dev",
      "treehouse db create feature/login --from main --terminate",
      "treehouse db create --empty",
    ],
    "The fast copy is CREATE DATABASE … TEMPLATE; when the base is in use (its server is connected) it is " +
      "left alone and copied with pg_dump | pg_restore (needs the client tools), unless --terminate. " +
      "Already created by treehouse: says so, exit 0. " + SERVER_NOTE,
  ),
});

const drop = buildCommand({
  loader: async () => guard((await import("../commands/db/drop.ts")).drop),
  parameters: {
    flags: {
      ...branchFlags,
      ...appFlag,
      ...yesFlag,
      terminate: switchFlag("End the database's sessions (the branch's server) instead of refusing"),
      ...jsonFlag,
    },
    positional: branchArg,
  },
  docs: docs(
    "Drop the branch's database (only one treehouse created)",
    ["treehouse db drop --yes", "treehouse db drop feature/old --yes"],
    SERVER_NOTE,
  ),
});

const reset = buildCommand({
  loader: async () => guard((await import("../commands/db/create.ts")).reset),
  parameters: {
    flags: { ...branchFlags, ...appFlag, ...baseFlags, ...yesFlag, ...jsonFlag },
    positional: branchArg,
  },
  docs: docs(
    "Drop the branch's database and create it again (a fresh copy of the base)",
    ["treehouse db reset --yes", "treehouse db reset --from main --yes"],
    SERVER_NOTE,
  ),
});

const list = buildCommand({
  loader: async () => guard((await import("../commands/db/list.ts")).list),
  parameters: {
    flags: {
      ...jsonFlag,
      project: stringFlag("Only this project's databases", "PATH"),
      all: switchFlag("Every project's databases (default outside a repository)"),
    },
  },
  docs: docs(
    "List the databases treehouse created: branch, size, created from, created at, whether the branch exists",
    ["treehouse db list", "treehouse db list --all", "treehouse db list --json | jq -r '.[].name'"],
    SERVER_NOTE,
  ),
});

const db = buildRouteMap({
  routes: { url, create, drop, reset, list },
  docs: docs(
    "The branch's PostgreSQL database: url, create (clone), drop, reset, list",
    [
      "treehouse db create",
      'psql "$(treehouse db url)"',
      "treehouse db list --all",
      "treehouse db reset --yes",
      "treehouse run --db clone -- mix phx.server",
    ],
    SERVER_NOTE,
  ),
});

/** The `db` command group. */
export const dbRoutes = { db };
