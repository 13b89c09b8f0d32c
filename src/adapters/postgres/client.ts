/**
 * PostgreSQL through the pure-JavaScript `postgres` client (npm, pinned in deno.json), imported only
 * when a session opens: the `ip` and `run` hot paths never load it. Identifiers are always quoted,
 * and so are values (statements go through the simple query protocol: one round trip each). The
 * busy-template copy goes through `./dump.ts`.
 */
import { quoteIdent, quoteLiteral, type ServerSpec } from "../../core/database-url.ts";
import { type CopyProgress, type DatabaseEngine, EngineError, type EngineSession } from "./engine.ts";
import { copyWithDump } from "./dump.ts";

/** The maintenance database administrative sessions connect to (never a branch's or a template). */
export const MAINTENANCE_DB = "postgres";
/** Seconds a connection attempt waits before the server counts as unreachable. */
export const CONNECT_TIMEOUT_S = 5;

// The client's own type is heavy to import statically; this is the part used here.
interface Sql {
  unsafe(
    query: string,
    params?: unknown[],
    options?: { simple?: boolean },
  ): Promise<Record<string, unknown>[]>;
  end(options?: { timeout?: number }): Promise<void>;
}

/** Options of the `postgres` client for a server (and database). */
export function clientOptions(server: ServerSpec, database: string): Record<string, unknown> {
  const socket = server.host.startsWith("/");
  const sslmode = server.params.find(([k]) => k === "sslmode")?.[1];
  return {
    ...(socket ? { path: `${server.host}/.s.PGSQL.${server.port}` } : { host: server.host }),
    port: server.port,
    user: server.user,
    password: server.password,
    database,
    max: 1,
    connect_timeout: CONNECT_TIMEOUT_S,
    idle_timeout: 0,
    prepare: false,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "treehouse" },
    ...(sslmode === undefined || sslmode === "disable"
      ? {}
      : { ssl: sslmode === "allow" ? "prefer" : sslmode }),
  };
}

/** Maps a driver error to an {@link EngineError}. */
export function engineError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const e = error as { code?: string; message?: string; errno?: unknown };
  const code = String(e?.code ?? "");
  const message = String(e?.message ?? error);
  const kind = ["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "CONNECT_TIMEOUT", "ENOENT"]
      .includes(code) ||
      code === "CONNECTION_CLOSED" || code === "CONNECTION_ENDED" ||
      /connect|ECONNREFUSED|getaddrinfo/i.test(code)
    ? "unreachable"
    : code === "28P01" || code === "28000" || code === "SASL_SIGNATURE_MISMATCH"
    ? "auth"
    : code === "42501"
    ? "permission"
    : code === "55006"
    ? "busy"
    : code === "42P04"
    ? "exists"
    : code === "3D000"
    ? "missing"
    : "other";
  return new EngineError(kind, message, { cause: error });
}

class PostgresSession implements EngineSession {
  constructor(private readonly sql: Sql, private readonly server: ServerSpec) {}

  /**
   * One statement through the simple query protocol: one round trip, where a query with parameters
   * costs two (the client describes it before binding). Values are quoted with {@link quoteLiteral}.
   */
  private async q(query: string): Promise<Record<string, unknown>[]> {
    try {
      return await this.sql.unsafe(query, [], { simple: true });
    } catch (error) {
      throw engineError(error);
    }
  }

  async exists(name: string): Promise<boolean> {
    return (await this.existing([name])).has(name);
  }

  async existing(names: readonly string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await this.q(
      `SELECT datname FROM pg_database WHERE datname IN (${names.map(quoteLiteral).join(", ")})`,
    );
    return new Set(rows.map((r) => String(r.datname)));
  }

  async sizes(names: readonly string[]): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    const rows = await this.q(
      `SELECT datname, pg_database_size(oid)::text AS size FROM pg_database
        WHERE datname IN (${names.map(quoteLiteral).join(", ")})`,
    );
    return new Map(rows.map((r) => [String(r.datname), Number(r.size)]));
  }

  async createEmpty(name: string): Promise<void> {
    await this.q(`CREATE DATABASE ${quoteIdent(name)}`);
  }

  async createFromTemplate(name: string, template: string): Promise<void> {
    await this.q(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
  }

  async copyWithDump(name: string, template: string, onProgress?: CopyProgress): Promise<void> {
    await this.createEmpty(name);
    await copyWithDump(this.server, template, name, onProgress);
  }

  async otherSessions(name: string): Promise<number> {
    const n = quoteLiteral(name);
    const rows = await this.q(
      `SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = ${n} AND pid <> pg_backend_pid()) +
              (SELECT count(*) FROM pg_prepared_xacts WHERE database = ${n}) AS n`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async terminateSessions(name: string): Promise<number> {
    const rows = await this.q(
      `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
        WHERE datname = ${quoteLiteral(name)} AND pid <> pg_backend_pid()`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async drop(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.q(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${options.force ? " WITH (FORCE)" : ""}`);
  }

  async lock(key: string, onWait?: () => void): Promise<() => Promise<void>> {
    const id = `hashtextextended(${quoteLiteral(`treehouse:${key}`)}, 0)`;
    const got = await this.q(`SELECT pg_try_advisory_lock(${id}) AS ok`);
    if (got[0]?.ok !== true) {
      onWait?.();
      await this.q(`SELECT pg_advisory_lock(${id})`);
    }
    return async () => {
      await this.q(`SELECT pg_advisory_unlock(${id})`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    // Terminate is sent and the socket closed; waiting for the server to close its end too would
    // add ~10 ms to every command (the server ends the session and its locks either way).
    await this.sql.end({ timeout: 0 }).catch(() => {});
  }
}

/** The PostgreSQL engine. */
export const postgresEngine: DatabaseEngine = {
  label: "PostgreSQL",
  async connect(server: ServerSpec): Promise<EngineSession> {
    const { default: postgres } = await import("postgres");
    const sql = (postgres as unknown as (options: Record<string, unknown>) => Sql)(
      clientOptions(server, MAINTENANCE_DB),
    );
    const session = new PostgresSession(sql, server);
    try {
      await sql.unsafe("SELECT 1", [], { simple: true });
    } catch (error) {
      await session.close();
      throw engineError(error);
    }
    return session;
  },
};
