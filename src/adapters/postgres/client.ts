/**
 * PostgreSQL through the pure-JavaScript `postgres` client (npm, pinned in deno.json), imported only
 * when a session opens: the `ip` and `run` hot paths never load it. Identifiers are always quoted;
 * values go as parameters. The busy-template copy goes through `./dump.ts`.
 */
import { quoteIdent, type ServerSpec } from "../../core/database-url.ts";
import { type CopyProgress, type DatabaseEngine, EngineError, type EngineSession } from "./engine.ts";
import { copyWithDump } from "./dump.ts";

/** The maintenance database administrative sessions connect to (never a branch's or a template). */
export const MAINTENANCE_DB = "postgres";
/** Seconds a connection attempt waits before the server counts as unreachable. */
export const CONNECT_TIMEOUT_S = 5;

// The client's own type is heavy to import statically; this is the part used here.
interface Sql {
  unsafe(query: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
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

  private async q(query: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    try {
      return await this.sql.unsafe(query, params);
    } catch (error) {
      throw engineError(error);
    }
  }

  async exists(name: string): Promise<boolean> {
    return (await this.q("SELECT 1 FROM pg_database WHERE datname = $1", [name])).length > 0;
  }

  async sizes(names: readonly string[]): Promise<Map<string, number>> {
    if (names.length === 0) return new Map();
    // One parameter per name: no array type needed (the client does not fetch types).
    const list = names.map((_, i) => `$${i + 1}`).join(", ");
    const rows = await this.q(
      `SELECT datname, pg_database_size(oid)::text AS size FROM pg_database WHERE datname IN (${list})`,
      [...names],
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
    const rows = await this.q(
      `SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) +
              (SELECT count(*) FROM pg_prepared_xacts WHERE database = $1) AS n`,
      [name],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async terminateSessions(name: string): Promise<number> {
    const rows = await this.q(
      `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [name],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async drop(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.q(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${options.force ? " WITH (FORCE)" : ""}`);
  }

  async lock(key: string, onWait?: () => void): Promise<() => Promise<void>> {
    const id = "hashtextextended($1, 0)";
    const name = `treehouse:${key}`;
    const got = await this.q(`SELECT pg_try_advisory_lock(${id}) AS ok`, [name]);
    if (got[0]?.ok !== true) {
      onWait?.();
      await this.q(`SELECT pg_advisory_lock(${id})`, [name]);
    }
    return async () => {
      await this.q(`SELECT pg_advisory_unlock(${id})`, [name]).catch(() => {});
    };
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 1 }).catch(() => {});
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
      await sql.unsafe("SELECT 1");
    } catch (error) {
      await session.close();
      throw engineError(error);
    }
    return session;
  },
};
