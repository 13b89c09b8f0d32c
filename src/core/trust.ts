/**
 * What a project file (`treehouse.toml`, `treehouse.local.toml`) may set. A repository someone clones
 * carries its own files, so their settings are untrusted: a setting that would reach a command run as
 * root (`sudo treehouse hosts sync`, `treehouse setup`), run a program, or change records outside the
 * project is limited, and only the user's own config file (`[trust]`) or an environment variable lifts
 * the limit. Pure: no I/O.
 */
import { formatPool, parsePool, type Pool } from "./pool.ts";
import { formatDuration } from "./duration.ts";
import { DEFAULT_EXPIRE_AFTER_MS, DEFAULT_RECLAIM_AFTER_MS, DEFAULT_STALE_AFTER_MS } from "./policy.ts";

/** Suffixes reserved for local use (RFC 6762, RFC 6761, RFC 8375, ICANN's `.internal`): never public DNS. */
export const LOCAL_SUFFIXES: readonly string[] = ["local", "test", "localhost", "internal", "home.arpa"];

/** The keys whose limit `trust.keys` lifts, with why each is limited. */
export const TRUSTABLE_KEYS = {
  pool: "setup adds and removes an lo0 alias for every pool IP as root; 127.0.0.1 is localhost",
  reclaim_after: "a shorter time hands other projects' IPs to this one sooner",
  stale_after: "cleanup removes other projects' stopped allocations after it",
  heartbeat: "every heartbeat is a write to the registry all projects share",
  "cleanup.expire_after": "the automatic clean-up expires every project's reservations after it",
  mdns: "lan announces every branch name, often confidential, to the whole network",
  "database.url": "treehouse creates, clones and drops databases there with your credentials",
  "group.env": "the variable is set for the command and by `eval`; PATH, LD_PRELOAD or PROMPT_COMMAND " +
    "would run programs",
} as const;

/** A key of {@link TRUSTABLE_KEYS}. */
export type TrustableKey = keyof typeof TRUSTABLE_KEYS;

/** What the user allows project files beyond the limits. */
export interface Trust {
  /** Extra name suffixes (`example.com`): user file `trust.domains`, `TREEHOUSE_TRUST_DOMAINS`. */
  domains: readonly string[];
  /** Keys whose limit is lifted: user file `trust.keys`, `TREEHOUSE_TRUST_KEYS`. */
  keys: readonly string[];
  /** The user's config file, named in hints (undefined without HOME). */
  userFile: string | undefined;
}

/** No allowances: the limits as they are. */
export const NO_TRUST: Trust = { domains: [], keys: [], userFile: undefined };

/** The smallest heartbeat a project file may set: 1 s. */
export const MIN_PROJECT_HEARTBEAT_MS = 1000;

const SUFFIX_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Normalizes a suffix given by the user (`.Example.com.` → `example.com`), or undefined when invalid. */
export function normalizeSuffix(text: string): string | undefined {
  const s = text.trim().toLowerCase().replace(/^\.+|\.+$/g, "");
  return SUFFIX_RE.test(s) ? s : undefined;
}

/** Whether `name` (a hostname or a template's literal tail) ends in `.suffix` for an allowed suffix. */
export function underSuffix(name: string, suffixes: readonly string[]): boolean {
  const n = name.toLowerCase().replace(/\.+$/, "");
  return suffixes.some((s) => n.endsWith(`.${s}`));
}

/** A project setting the limits refuse: what is wrong and which allowance would accept it. */
export interface Refusal {
  problem: string;
  /** How the user allows it (a `trust.…` key and its variable). */
  allow: string;
}

function allowKey(key: TrustableKey, trust: Trust): string {
  return `add "${key}" to trust.keys in ${trust.userFile ?? "your config file"} ` +
    `(or TREEHOUSE_TRUST_KEYS=${key})`;
}

/**
 * Checks a project file's `hostname_template`: the names it makes must end in a local-use suffix or
 * one the user allows. Returns undefined when it may be used.
 */
export function checkTemplate(template: string, trust: Trust): Refusal | undefined {
  const allowed = [...LOCAL_SUFFIXES, ...trust.domains];
  // The part after the last placeholder is the same for every branch: the suffix the names share.
  const tail = template.slice(template.lastIndexOf("}") + 1).toLowerCase();
  if (underSuffix(tail, allowed)) return undefined;
  const domain = normalizeSuffix(tail);
  return {
    problem: `"${template}" makes names outside .${LOCAL_SUFFIXES.join(", .")}, which a project file ` +
      "may not do (`sudo treehouse hosts sync` would write them into /etc/hosts for the whole machine)",
    allow: domain
      ? `use a template ending in .local or .test, or add "${domain}" to trust.domains in ${
        trust.userFile ?? "your config file"
      } (or TREEHOUSE_TRUST_DOMAINS=${domain})`
      : 'use a template ending in a suffix, such as "{branch}.local" or "{branch}.test"',
  };
}

const SAFE_POOL: Pool = parsePool("127.0.0.2-127.0.0.254");

/** Checks a project file's value of a limited key; undefined when it may be used. */
export function checkProjectValue(key: string, value: unknown, trust: Trust): Refusal | undefined {
  if (!(key in TRUSTABLE_KEYS) || trust.keys.includes(key)) return undefined;
  const k = key as TrustableKey;
  const refuse = (problem: string): Refusal => ({
    problem: `${problem} (${TRUSTABLE_KEYS[k]})`,
    allow: allowKey(k, trust),
  });
  const atLeast = (ms: number, least: number) =>
    ms < least
      ? refuse(
        `${formatDuration(ms)} is shorter than ${formatDuration(least)}, the least a project file may set`,
      )
      : undefined;
  switch (k) {
    case "pool": {
      const p = value as Pool;
      return p.first < SAFE_POOL.first || p.last > SAFE_POOL.last
        ? refuse(
          `${formatPool(p)} reaches outside 127.0.0.2-127.0.0.254, where a project file's pool must stay`,
        )
        : undefined;
    }
    case "reclaim_after":
      return atLeast(value as number, DEFAULT_RECLAIM_AFTER_MS);
    case "stale_after":
      return atLeast(value as number, DEFAULT_STALE_AFTER_MS);
    case "heartbeat":
      return atLeast(value as number, MIN_PROJECT_HEARTBEAT_MS);
    case "cleanup.expire_after":
      return atLeast(value as number, DEFAULT_EXPIRE_AFTER_MS);
    case "mdns":
      return value === "lan"
        ? refuse('"lan" is wider than a project file may set (it may set "local" or "off")')
        : undefined;
    case "database.url": {
      const host = databaseHost(String(value));
      return host === undefined || isLocalHost(host)
        ? undefined
        : refuse(`${host} is not this machine: a project file's database server must be local`);
    }
    case "group.env": {
      const name = String(value);
      return /PORT$/i.test(name) || /^TREEHOUSE_PORT_/i.test(name) ? undefined : refuse(
        `${name} is not a port variable: a project file may only name variables ending in PORT or ` +
          "starting with TREEHOUSE_PORT_",
      );
    }
  }
}

/** The host a PostgreSQL URL connects to (`?host=` wins), or undefined for the default socket. */
export function databaseHost(url: string): string | undefined {
  try {
    const u = new URL(url);
    const query = u.searchParams.get("host");
    const host = query ?? decodeURIComponent(u.hostname);
    return host === "" ? undefined : host.replace(/^\[|\]$/g, "");
  } catch {
    return undefined; // the schema's own check reports a malformed URL
  }
}

/** A host that is this machine: a socket directory, localhost, 127/8 or ::1. */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase();
  return h.startsWith("/") || h === "localhost" || h.endsWith(".localhost") || h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
