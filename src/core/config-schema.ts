/**
 * Every configuration key: its TOML path, its environment variable, what values it allows and how
 * a value is read from TOML or from a variable. Pure: no I/O.
 */
import { DEFAULT_TEMPLATE } from "./hostname-template.ts";
import { formatDuration, parseDuration } from "./duration.ts";
import { parseListen } from "./web-guard.ts";
import { DEFAULT_POOL, formatPool, parsePool, type Pool } from "./pool.ts";
import { DEFAULT_EXPIRE_AFTER_MS, DEFAULT_RECLAIM_AFTER_MS, DEFAULT_STALE_AFTER_MS } from "./policy.ts";
import { formatSpans, parseSpan, parseSpanList, type PortSpan } from "./spans.ts";
import { databaseUrl, InvalidDatabaseUrl, parseServerUrl } from "./database-url.ts";

/** A value that failed validation: `allowed` says what would have been accepted. */
export class InvalidValue extends Error {
  readonly allowed: string;
  constructor(message: string, allowed: string) {
    super(message);
    this.allowed = allowed;
  }
}

/** One configurable key. */
export interface KeyDef<T = unknown> {
  /** Dotted TOML path, e.g. `ports.range`. */
  key: string;
  /** Environment variables, highest precedence first. */
  env: string[];
  /** The allowed values, for help and errors. */
  allowed: string;
  default: T;
  fromToml(value: unknown): T;
  fromEnv(text: string): T;
  /** How the effective value is shown by `treehouse config`. */
  show(value: T): unknown;
}

const DURATION = "a duration such as 500ms, 45s, 30m, 12h, 7d or 2w";
const BOOL = "true or false (variables: 1, 0, true, false, yes, no)";

function duration(key: string, env: string, def: number, positive = false): KeyDef<number> {
  const allowed = positive ? `${DURATION}, above 0` : DURATION;
  const parse = (text: string) => {
    let ms: number;
    try {
      ms = parseDuration(text, key);
    } catch {
      throw new InvalidValue(`"${text}" is not a duration`, allowed);
    }
    // A zero heartbeat would be a timer that fires at once, forever: a registry write every loop turn.
    if (positive && ms <= 0) throw new InvalidValue(`"${text}" is not above 0`, allowed);
    return ms;
  };
  return {
    key,
    env: [env],
    allowed,
    default: def,
    fromToml: (v) => {
      if (typeof v !== "string") throw new InvalidValue(`expected a string, got ${typeName(v)}`, allowed);
      return parse(v);
    },
    fromEnv: parse,
    show: (ms) => formatDuration(ms),
  };
}

function bool(key: string, env: string, def: boolean): KeyDef<boolean> {
  return {
    key,
    env: [env],
    allowed: BOOL,
    default: def,
    fromToml: (v) => {
      if (typeof v !== "boolean") throw new InvalidValue(`expected true or false, got ${typeName(v)}`, BOOL);
      return v;
    },
    fromEnv: (text) => {
      const t = text.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(t)) return true;
      if (["0", "false", "no", "off"].includes(t)) return false;
      throw new InvalidValue(`"${text}" is not a boolean`, BOOL);
    },
    show: (b) => b,
  };
}

function port(key: string, env: string[], def: number): KeyDef<number> {
  const allowed = "a port number from 1 to 65535";
  const check = (n: number, shown: string) => {
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new InvalidValue(`${shown} is not a port number`, allowed);
    }
    return n;
  };
  return {
    key,
    env,
    allowed,
    default: def,
    fromToml: (v) => {
      if (typeof v !== "number" && typeof v !== "bigint") {
        throw new InvalidValue(`expected an integer, got ${typeName(v)}`, allowed);
      }
      return check(Number(v), String(v));
    },
    fromEnv: (t) => check(/^\s*\d+\s*$/.test(t) ? Number(t) : NaN, `"${t}"`),
    show: (n) => n,
  };
}

/** Describes a TOML value's type for messages. */
export function typeName(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v === null || v === undefined) return "nothing";
  if (typeof v === "object") return v instanceof Date ? "a date" : "a table";
  if (typeof v === "number" || typeof v === "bigint") {
    return Number.isInteger(Number(v)) ? "an integer" : "a float";
  }
  return `a ${typeof v}`;
}

const POOL_ALLOWED = `a loopback range such as ${DEFAULT_POOL} (inside 127.0.0.0/8)`;
const RANGE_ALLOWED = 'a port range "FIRST-LAST" inside 1-65535, e.g. "5000-7999"';
const EXCLUDE_ALLOWED = 'a list of ports and ranges, e.g. [5432, "6000-6010"] (variables: "5432,6000-6010")';
const LISTEN_ALLOWED = 'a loopback "ADDR:PORT", e.g. "127.0.0.1:4900" (port 0: any free port)';
const TEMPLATE_ALLOWED = 'a name containing {branch} (and optionally {project}), e.g. "{branch}.local"';

/** Default port a branch's server listens on when nothing else says. */
export const DEFAULT_PORT = 4000;
/** Heartbeat interval: 60 s, well inside the 30-minute stale time. */
export const DEFAULT_HEARTBEAT_MS = 60_000;
/** Default hostname template: the branch label under `.local` (mDNS). */
export const DEFAULT_HOSTNAME_TEMPLATE = DEFAULT_TEMPLATE;
/** Where `treehouse dashboard` listens by default: loopback, outside the reservation range. */
export const DEFAULT_DASHBOARD_LISTEN = "127.0.0.1:4900";
/** Default port range for reservations. */
export const DEFAULT_PORT_RANGE: PortSpan = { first: 5000, last: 7999 };

function parsePoolValue(text: string): Pool {
  try {
    return parsePool(text);
  } catch {
    throw new InvalidValue(`"${text}" is not a loopback range`, POOL_ALLOWED);
  }
}

function parseListenValue(text: string): string {
  try {
    parseListen(text);
  } catch {
    throw new InvalidValue(`"${text}" is not a loopback ADDR:PORT`, LISTEN_ALLOWED);
  }
  return text;
}

function parseTemplate(text: string): string {
  if (!text.includes("{branch}")) {
    throw new InvalidValue(`"${text}" does not contain {branch}`, TEMPLATE_ALLOWED);
  }
  const unknown = /\{(?!branch\}|project\})[^}]*\}/.exec(text);
  if (unknown) throw new InvalidValue(`unknown placeholder ${unknown[0]}`, TEMPLATE_ALLOWED);
  if (!/^[a-z0-9{}.-]+$/i.test(text.replaceAll("{branch}", "x").replaceAll("{project}", "x"))) {
    throw new InvalidValue(`"${text}" has characters a hostname cannot hold`, TEMPLATE_ALLOWED);
  }
  return text;
}

function stringKey<T>(
  key: string,
  env: string,
  allowed: string,
  def: T,
  parse: (t: string) => T,
  show: (v: T) => unknown,
): KeyDef<T> {
  return {
    key,
    env: [env],
    allowed,
    default: def,
    fromToml: (v) => {
      if (typeof v !== "string") throw new InvalidValue(`expected a string, got ${typeName(v)}`, allowed);
      return parse(v);
    },
    fromEnv: parse,
    show,
  };
}

function spanOrThrow(text: string, allowed: string): PortSpan {
  const span = parseSpan(text);
  if (!span) throw new InvalidValue(`"${text}" is not a port or port range`, allowed);
  return span;
}

const DB_URL_ALLOWED = "a PostgreSQL URL such as postgres://user:password@localhost:5432";
const DB_NAME_ALLOWED = "a database name of at most 63 bytes";
const BRANCH_ALLOWED = "a branch name";
const DB_CREATE_ALLOWED = '"clone", "empty" or "no"';

/** What `run` does about the branch's database: clone the base, create it empty, or nothing. */
export type DatabaseCreate = "clone" | "empty" | "no";

function parseDatabaseUrl(text: string): string {
  try {
    parseServerUrl(text, "user");
  } catch (error) {
    if (error instanceof InvalidDatabaseUrl) {
      throw new InvalidValue(
        `"${maskUrlText(text)}" is not a PostgreSQL URL: ${error.message}`,
        DB_URL_ALLOWED,
      );
    }
    throw error;
  }
  return text;
}

/** A URL as shown anywhere but `db url`: its password masked. */
export function maskUrlText(text: string): string {
  try {
    const { server, database } = parseServerUrl(text, "");
    if (server.password === undefined) return text;
    return databaseUrl(server, database, true);
  } catch {
    return text.replace(/(:\/\/[^:/@]*:)[^@]*@/, "$1****@");
  }
}

function nonEmpty(allowed: string, max?: number) {
  return (text: string) => {
    if (text.trim() === "") throw new InvalidValue("the value is empty", allowed);
    if (max !== undefined && new TextEncoder().encode(text).length > max) {
      throw new InvalidValue(`"${text}" is longer than ${max} bytes`, allowed);
    }
    return text;
  };
}

function parseCreate(text: string): DatabaseCreate {
  if (text === "clone" || text === "empty" || text === "no") return text;
  throw new InvalidValue(`"${text}" is not one of them`, DB_CREATE_ALLOWED);
}

/** Where `run` announces names over mDNS. */
export type MdnsMode = "local" | "lan" | "off";

const MDNS_ALLOWED = '"local" (this machine only, where the platform can), "lan" (every interface) or "off"';

function parseMdns(text: string): MdnsMode {
  const t = text.trim().toLowerCase();
  if (t === "local" || t === "lan" || t === "off") return t;
  throw new InvalidValue(`"${text}" is not local, lan or off`, MDNS_ALLOWED);
}

/** Every scalar key, in the order `treehouse config` prints them. */
export const KEYS = {
  pool: stringKey(
    "pool",
    "TREEHOUSE_POOL",
    POOL_ALLOWED,
    parsePool(DEFAULT_POOL),
    parsePoolValue,
    formatPool,
  ),
  reclaimAfterMs: duration("reclaim_after", "TREEHOUSE_RECLAIM_AFTER", DEFAULT_RECLAIM_AFTER_MS),
  staleAfterMs: duration("stale_after", "TREEHOUSE_STALE_AFTER", DEFAULT_STALE_AFTER_MS),
  heartbeatMs: duration("heartbeat", "TREEHOUSE_HEARTBEAT", DEFAULT_HEARTBEAT_MS, true),
  hostnameTemplate: stringKey(
    "hostname_template",
    "TREEHOUSE_HOSTNAME_TEMPLATE",
    TEMPLATE_ALLOWED,
    DEFAULT_HOSTNAME_TEMPLATE,
    parseTemplate,
    (t) => t,
  ),
  mdns: stringKey<MdnsMode>("mdns", "TREEHOUSE_MDNS", MDNS_ALLOWED, "local", parseMdns, (m) => m),
  defaultPort: port("default_port", ["TREEHOUSE_DEFAULT_PORT", "PORT"], DEFAULT_PORT),
  portRange: stringKey("ports.range", "TREEHOUSE_PORTS_RANGE", RANGE_ALLOWED, DEFAULT_PORT_RANGE, (t) => {
    const span = spanOrThrow(t, RANGE_ALLOWED);
    return span;
  }, (s) => formatSpans([s])),
  excludedPorts: {
    key: "ports.exclude",
    env: ["TREEHOUSE_PORTS_EXCLUDE"],
    allowed: EXCLUDE_ALLOWED,
    default: [] as PortSpan[],
    fromToml: (v: unknown) => {
      if (!Array.isArray(v)) throw new InvalidValue(`expected an array, got ${typeName(v)}`, EXCLUDE_ALLOWED);
      return v.map((item) => {
        if (typeof item === "number" || typeof item === "bigint") {
          return spanOrThrow(String(item), EXCLUDE_ALLOWED);
        }
        if (typeof item === "string") return spanOrThrow(item, EXCLUDE_ALLOWED);
        throw new InvalidValue(`an item is ${typeName(item)}`, EXCLUDE_ALLOWED);
      });
    },
    fromEnv: (t: string) => {
      const spans = parseSpanList(t);
      if (!spans) throw new InvalidValue(`"${t}" is not a list of ports`, EXCLUDE_ALLOWED);
      return spans;
    },
    show: (s: PortSpan[]) => formatSpans(s),
  } satisfies KeyDef<PortSpan[]>,
  checkTcp: bool("ports.occupancy.tcp", "TREEHOUSE_PORTS_OCCUPANCY_TCP", true),
  checkUdp: bool("ports.occupancy.udp", "TREEHOUSE_PORTS_OCCUPANCY_UDP", true),
  checkIpv4: bool("ports.occupancy.ipv4", "TREEHOUSE_PORTS_OCCUPANCY_IPV4", true),
  checkIpv6: bool("ports.occupancy.ipv6", "TREEHOUSE_PORTS_OCCUPANCY_IPV6", true),
  cleanupOnExhaustion: bool("cleanup.on_exhaustion", "TREEHOUSE_CLEANUP_ON_EXHAUSTION", true),
  https: bool("https", "TREEHOUSE_HTTPS", false),
  expireAfterMs: duration("cleanup.expire_after", "TREEHOUSE_CLEANUP_EXPIRE_AFTER", DEFAULT_EXPIRE_AFTER_MS),
  dashboardListen: stringKey(
    "dashboard.listen",
    "TREEHOUSE_DASHBOARD_LISTEN",
    LISTEN_ALLOWED,
    DEFAULT_DASHBOARD_LISTEN,
    parseListenValue,
    (t) => t,
  ),
  // The server URL is read from files only here: TREEHOUSE_DATABASE_URL and the PG* variables come after
  // the file (services/db/server.ts), so a project's own server wins over a shell's leftovers.
  databaseUrl: {
    key: "database.url",
    env: [],
    allowed: DB_URL_ALLOWED,
    default: undefined as string | undefined,
    fromToml: (v: unknown) => {
      if (typeof v !== "string") {
        throw new InvalidValue(`expected a string, got ${typeName(v)}`, DB_URL_ALLOWED);
      }
      return parseDatabaseUrl(v);
    },
    fromEnv: parseDatabaseUrl,
    show: (v: string | undefined) => (v === undefined ? null : maskUrlText(v)),
  } satisfies KeyDef<string | undefined>,
  databaseTemplate: stringKey<string | undefined>(
    "database.template",
    "TREEHOUSE_DATABASE_TEMPLATE",
    DB_NAME_ALLOWED,
    undefined,
    nonEmpty(DB_NAME_ALLOWED, 63),
    (v) => v ?? null,
  ),
  databaseFrom: stringKey<string | undefined>(
    "database.from",
    "TREEHOUSE_DATABASE_FROM",
    BRANCH_ALLOWED,
    undefined,
    nonEmpty(BRANCH_ALLOWED),
    (v) => v ?? null,
  ),
  databaseCreate: stringKey<DatabaseCreate>(
    "database.create",
    "TREEHOUSE_DATABASE_CREATE",
    DB_CREATE_ALLOWED,
    "no",
    parseCreate,
    (v) => v,
  ),
} as const;

/** The name of a scalar setting. */
export type KeyName = keyof typeof KEYS;

/** Tables that may appear in a file (their keys are checked one by one). */
export const TABLES: ReadonlySet<string> = new Set([
  "ports",
  "ports.occupancy",
  "cleanup",
  "group",
  "dashboard",
  "database",
]);

/** Finds the definition of a dotted key, or undefined. */
export function keyByPath(path: string): [KeyName, KeyDef] | undefined {
  for (const [name, def] of Object.entries(KEYS)) {
    if (def.key === path) return [name as KeyName, def as KeyDef];
  }
  return undefined;
}

/** Every allowed dotted key, for "unknown key" errors. */
export function allKeys(): string[] {
  return [
    ...Object.values(KEYS).map((d) => d.key),
    "group.base",
    "group.<service>.{offset,port,env}",
    "run.{command,port,ready,restart,https,preset,env}",
    "run.<service>.{command,port,ready,restart,https,preset,env}",
  ];
}

/** File names searched in every directory from the current one up to `/`, and the user file. */
export const PROJECT_FILE = "treehouse.toml";
/** The personal, uncommitted override next to a project file. */
export const LOCAL_FILE = "treehouse.local.toml";
