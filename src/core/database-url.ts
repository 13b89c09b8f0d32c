/**
 * Database server URLs: parsing `postgres://user:password@host:port/db?params`, building a branch's
 * URL, masking the password for every message, and quoting identifiers. Pure: no I/O.
 */

/** The PostgreSQL server treehouse creates databases on (no database: that is the branch's). */
export interface ServerSpec {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** Query parameters of the URL (`sslmode`…), kept in every URL built from it. */
  params: [string, string][];
}

/** Default PostgreSQL port. */
export const DEFAULT_PG_PORT = 5432;
/** What a password looks like in every message except `db url`. */
export const MASK = "****";

/** A URL that is not a PostgreSQL URL (message says why). */
export class InvalidDatabaseUrl extends Error {}

/** Parses `postgres://` or `postgresql://` URLs. The path (a database) is returned apart. */
export function parseServerUrl(text: string, defaultUser: string): { server: ServerSpec; database?: string } {
  const match = /^(postgres(?:ql)?):\/\/(.*)$/i.exec(text.trim());
  if (!match) throw new InvalidDatabaseUrl("expected postgres://[user[:password]@]host[:port][/database]");
  let rest = match[2] ?? "";
  // `postgres://` and `postgres://user@/db?host=/socket/dir` have no host: libpq's default is localhost.
  const cut = rest.search(/[/?#]/);
  const authority = cut === -1 ? rest : rest.slice(0, cut);
  if (authority.replace(/^.*@/, "").replace(/^:\d*$/, "") === "") {
    const at = authority.lastIndexOf("@");
    const port = authority.slice(at + 1);
    rest = `${authority.slice(0, at + 1)}localhost${port}${cut === -1 ? "" : rest.slice(cut)}`;
  }
  let url: URL;
  try {
    // The WHATWG parser handles userinfo, IPv6 brackets and percent-encoding; `http:` makes it parse the host.
    url = new URL(`http://${rest}`);
  } catch {
    throw new InvalidDatabaseUrl("not a valid URL");
  }
  if (url.port !== "" && !/^\d+$/.test(url.port)) throw new InvalidDatabaseUrl("invalid port");
  const params: [string, string][] = [];
  let host = decodeURIComponent(url.hostname);
  for (const [k, v] of url.searchParams) {
    // libpq's `?host=/var/run/postgresql` names a socket directory.
    if (k === "host") host = v;
    else params.push([k, v]);
  }
  if (host === "") host = "localhost";
  const server: ServerSpec = {
    host: host.startsWith("[") ? host.slice(1, -1) : host,
    // new URL drops the default port of http (80): take it from the text when it was given.
    port: url.port !== "" ? Number(url.port) : explicitPort80(rest) ? 80 : DEFAULT_PG_PORT,
    user: url.username !== "" ? decodeURIComponent(url.username) : defaultUser,
    params,
  };
  if (url.password !== "") server.password = decodeURIComponent(url.password);
  const path = decodeURIComponent(url.pathname.replace(/^\/+/, ""));
  return path === "" ? { server } : { server, database: path };
}

function explicitPort80(rest: string): boolean {
  const authority = rest.split(/[/?#]/)[0] ?? "";
  return /:80$/.test(authority.replace(/^.*@/, ""));
}

/** The URL of `database` on `server`; with `mask`, the password shows as {@link MASK}. */
export function databaseUrl(server: ServerSpec, database: string | undefined, mask: boolean): string {
  const user = encodeURIComponent(server.user);
  const auth = server.password === undefined
    ? `${user}@`
    : `${user}:${mask ? MASK : encodeURIComponent(server.password)}@`;
  const socket = server.host.startsWith("/");
  const host = socket ? "" : server.host.includes(":") ? `[${server.host}]` : server.host;
  const params: [string, string][] = socket ? [["host", server.host], ...server.params] : server.params;
  const query = params.length
    ? `?${params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`
    : "";
  const path = database === undefined ? "" : `/${encodeURIComponent(database)}`;
  return `postgres://${auth}${host}:${server.port}${path}${query}`;
}

/** The key a created database is recorded under: the server's address, never its credentials. */
export function serverKey(server: ServerSpec): string {
  return `${server.host.includes(":") ? `[${server.host}]` : server.host}:${server.port}`;
}

/** Replaces every occurrence of the password in `text` (a driver's message may echo it). */
export function maskSecret(text: string, server: ServerSpec): string {
  const pw = server.password;
  if (pw === undefined || pw.length < 3) return text;
  return text.replaceAll(pw, MASK).replaceAll(encodeURIComponent(pw), MASK);
}

/** Quotes an identifier for SQL: `"name"`, with `"` doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Quotes a string literal for SQL sent without parameters (PostgreSQL's simple query protocol, one
 * round trip): `E'…'` with `\` and `'` doubled, so it reads the same whatever
 * `standard_conforming_strings` says (libpq's PQescapeLiteral does the same). A NUL byte cannot be in
 * a PostgreSQL string: it throws.
 */
export function quoteLiteral(value: string): string {
  if (value.includes("\0")) throw new RangeError("a SQL string cannot contain a NUL byte");
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** PostgreSQL's identifier limit in bytes. */
export const MAX_IDENT_BYTES = 63;

/** Why `name` cannot be a database name, or undefined when it can. */
export function invalidDatabaseName(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (name.includes("\0")) return "it contains a NUL byte";
  if (new TextEncoder().encode(name).length > MAX_IDENT_BYTES) {
    return `it is longer than ${MAX_IDENT_BYTES} bytes`;
  }
  return undefined;
}

/** Formats a byte count: `512 B`, `8.1 MB`, `1.2 GB`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
