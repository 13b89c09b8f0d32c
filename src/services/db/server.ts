/**
 * Which database server: `[database] url` in the configuration, else `TREEHOUSE_DATABASE_URL`, else
 * libpq's `PGHOST`/`PGPORT`/`PGUSER`/`PGPASSWORD`, else `postgres://localhost:5432` as the current
 * user (Postgres.app and Homebrew defaults). No connection is made here.
 */
import {
  databaseUrl,
  DEFAULT_PG_PORT,
  InvalidDatabaseUrl,
  parseServerUrl,
  serverKey,
  type ServerSpec,
} from "../../core/database-url.ts";
import { ConfigError, UsageError } from "../../errors.ts";

/** Reads one environment variable (undefined when unset). */
export type Env = (name: string) => string | undefined;

/** The server and where it came from. */
export interface ResolvedServer {
  server: ServerSpec;
  /** `FILE:LINE`, `TREEHOUSE_DATABASE_URL`, `PG* variables` or `default`. */
  source: string;
  /** The URL with the password masked: what every message shows. */
  label: string;
  /** The registry key of its databases (`host:port`). */
  key: string;
}

/** The configuration's part of the answer: `[database] url` and the file line it came from. */
export interface ConfiguredUrl {
  url?: string;
  source?: string;
}

/** Resolves the server from the configuration and the environment. */
export function resolveServer(configured: ConfiguredUrl, env: Env): ResolvedServer {
  const user = env("USER") || env("LOGNAME") || "postgres";
  let server: ServerSpec;
  let source: string;
  const fromEnv = env("TREEHOUSE_DATABASE_URL");
  if (configured.url !== undefined) {
    source = configured.source ?? "[database] url";
    server = parse(configured.url, user, source, true);
  } else if (fromEnv !== undefined && fromEnv !== "") {
    source = "TREEHOUSE_DATABASE_URL";
    server = parse(fromEnv, user, source, false);
  } else if (["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"].some((n) => (env(n) ?? "") !== "")) {
    source = "PG* variables";
    const portText = env("PGPORT") || String(DEFAULT_PG_PORT);
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new UsageError(`Invalid PGPORT: "${portText}"`, { hint: "Use a port number from 1 to 65535" });
    }
    server = { host: env("PGHOST") || "localhost", port, user: env("PGUSER") || user, params: [] };
    const password = env("PGPASSWORD");
    if (password) server.password = password;
    const sslmode = env("PGSSLMODE");
    if (sslmode) server.params.push(["sslmode", sslmode]);
  } else {
    source = "default";
    server = { host: "localhost", port: DEFAULT_PG_PORT, user, params: [] };
  }
  return { server, source, label: databaseUrl(server, undefined, true), key: serverKey(server) };
}

function parse(text: string, user: string, source: string, file: boolean): ServerSpec {
  try {
    return parseServerUrl(text, user).server;
  } catch (error) {
    if (!(error instanceof InvalidDatabaseUrl)) throw error;
    const Err = file ? ConfigError : UsageError;
    throw new Err(`Invalid database URL in ${source}: ${error.message}`, {
      hint: "Example: postgres://user:password@localhost:5432",
    });
  }
}

/** The branch's connection URL (with the real password: for `db url` and the child's environment). */
export function branchUrl(resolved: ResolvedServer, database: string): string {
  return databaseUrl(resolved.server, database, false);
}

/** The branch's URL as every message shows it (password masked). */
export function maskedBranchUrl(resolved: ResolvedServer, database: string): string {
  return databaseUrl(resolved.server, database, true);
}
