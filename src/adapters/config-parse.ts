/**
 * Parsing TOML text as a configuration file and checking every key, with errors that name the file,
 * the line, the key and the allowed values. It imports the TOML parser statically: the hot paths load
 * this module only when a configuration file applies (see `Config` in config-files.ts).
 */
import { parse as parseToml } from "smol-toml";
import { ConfigError } from "../errors.ts";
import {
  allKeys,
  InvalidValue,
  keyByPath,
  type KeyName,
  PROJECT_FILE,
  TABLES,
  typeName,
} from "../core/config-schema.ts";
import {
  checkProjectValue,
  checkTemplate,
  NO_TRUST,
  normalizeSuffix,
  type Refusal,
  type Trust,
  TRUSTABLE_KEYS,
} from "../core/trust.ts";
import { parseRunTable, type RunConfig } from "../core/run-table.ts";

/** One reservation of a project's group. */
export interface GroupMember {
  /** The reservation's tag (the service name, e.g. `web`). */
  tag: string;
  /** Preferred port as an offset from the group's base. */
  offset?: number;
  /** Preferred port, absolute. */
  port?: number;
  /** Variable name for `export`/`dotenv`/`run` (default `TREEHOUSE_PORT_<TAG>`). */
  env: string;
}

/** A `[group]` table: the reservations `reserve-group` and `autoreserve` make, keyed by its directory. */
export interface GroupConfig {
  /** The file that declared it. */
  file: string;
  /** Its directory: the path the group's reservations are keyed by. */
  dir: string;
  /** Preferred port of offset 0 (default: the first port of the range). */
  base?: number;
  members: GroupMember[];
}

/** A parsed, checked configuration file. */
export interface ConfigFile {
  path: string;
  kind: "user" | "project" | "local";
  values: Partial<Record<KeyName, unknown>>;
  /** Line of each key, for `treehouse config`. */
  lines: Partial<Record<KeyName, number>>;
  group?: GroupConfig;
  /** The user file's `[trust]`: what project files may do beyond the limits. */
  trust?: { domains: string[]; keys: string[] };
  /** The `[run]` table (project files only). */
  run?: RunConfig;
}

/**
 * Parses and checks TOML text as a configuration file (pure apart from the file name in errors). The
 * settings of a project or local file are untrusted: {@link checkTemplate} and {@link checkProjectValue}
 * refuse what `trust` does not allow.
 */
export function parseConfigText(
  text: string,
  path: string,
  kind: ConfigFile["kind"],
  trust: Trust = NO_TRUST,
): ConfigFile {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const e = error as { line?: number; column?: number; message?: string };
    const first = String(e.message ?? error).split("\n")[0];
    throw new ConfigError(`${path}:${e.line ?? 1}: invalid TOML: ${first}`, {
      hint: 'See https://toml.io for the syntax; strings need quotes, e.g. range = "5000-7999"',
      cause: error,
    });
  }
  const file: ConfigFile = { path, kind, values: {}, lines: {} };
  const fail = (key: string, problem: string, allowed: string): never => {
    throw new ConfigError(`${path}:${lineOf(text, key)}: ${key}: ${problem}`, {
      hint: `Allowed: ${allowed}`,
    });
  };
  // Every problem of the file is reported at once (a hostile file is not fixed one run per key); any
  // one of them refuses the whole file.
  const problems: ConfigError[] = [];
  const refuse = (key: string, refusal: Refusal | undefined) => {
    if (!refusal || kind === "user") return;
    problems.push(
      new ConfigError(`${path}:${lineOf(text, key)}: ${key}: ${refusal.problem}`, {
        hint: `To allow it, ${refusal.allow}`,
      }),
    );
  };
  const walk = (table: Record<string, unknown>, prefix: string) => {
    for (const [name, value] of Object.entries(table)) {
      try {
        walkKey(prefix ? `${prefix}.${name}` : name, value);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(error);
      }
    }
  };
  const walkKey = (key: string, value: unknown) => {
    if (key === "group") {
      file.group = parseGroup(
        value,
        path,
        fail,
        (k, env) => refuse(k, checkProjectValue("group.env", env, trust)),
      );
      return;
    }
    if (key === "trust") {
      if (kind !== "user") {
        fail(key, "only your own config file can say what project files may do", userOnly());
      }
      file.trust = parseTrust(value, fail);
      return;
    }
    if (key === "run") {
      file.run = parseRunTable(value, path, fail);
      return;
    }
    const def = keyByPath(key);
    if (def) {
      try {
        file.values[def[0]] = def[1].fromToml(value);
        file.lines[def[0]] = lineOf(text, key);
      } catch (error) {
        if (error instanceof InvalidValue) fail(key, error.message, error.allowed);
        throw error;
      }
      refuse(
        key,
        key === "hostname_template"
          ? checkTemplate(String(file.values[def[0]]), trust)
          : checkProjectValue(key, file.values[def[0]], trust),
      );
    } else if (TABLES.has(key)) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        fail(key, `expected a table, got ${typeName(value)}`, `a table [${key}]`);
      }
      walk(value as Record<string, unknown>, key);
    } else {
      const near = closest(key, [...allKeys(), "trust.domains", "trust.keys"]);
      fail(key, near ? `unknown key (did you mean ${near}?)` : "unknown key", allKeys().join(", "));
    }
  };
  walk(doc, "");
  if (problems.length > 0) throw fileProblems(path, problems);
  if (kind === "user" && file.run) {
    throw new ConfigError(`${path}:${lineOf(text, "run")}: run: only project files declare [run]`, {
      hint: `Move the [run] table into the project's ${PROJECT_FILE}`,
    });
  }
  if (kind === "user" && file.group) {
    throw new ConfigError(`${path}:${lineOf(text, "group")}: group: only project files declare a group`, {
      hint: `Move the [group] table into the project's ${PROJECT_FILE} (its directory keys the reservations)`,
    });
  }
  return file;
}

/** One problem as it is, or all of a file's in one error: each with its line and what allows it. */
function fileProblems(path: string, problems: readonly ConfigError[]): ConfigError {
  if (problems.length === 1) return problems[0]!;
  const lines = problems.map((p) => `  ${p.message}${p.hint ? `\n    ${p.hint}` : ""}`);
  return new ConfigError(
    `${path}: ${problems.length} problems, so none of the file is used:\n${lines.join("\n")}`,
    {
      hint: "Fix or remove each key above (its second line says what is allowed, or how to allow it)",
    },
  );
}

function userOnly(): string {
  return "[trust] in ~/.config/treehouse/config.toml ($XDG_CONFIG_HOME/treehouse/config.toml)";
}

const TRUST_ALLOWED = '[trust] with domains = ["example.com"] (name suffixes project files may use) and ' +
  `keys = [${Object.keys(TRUSTABLE_KEYS).map((k) => `"${k}"`).join(", ")}] (limits lifted)`;

function parseTrust(
  value: unknown,
  fail: (key: string, problem: string, allowed: string) => never,
): { domains: string[]; keys: string[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("trust", `expected a table, got ${typeName(value)}`, TRUST_ALLOWED);
  }
  const trust = { domains: [] as string[], keys: [] as string[] };
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const key = `trust.${name}`;
    if (name !== "domains" && name !== "keys") fail(key, "unknown key", "trust.domains, trust.keys");
    if (!Array.isArray(v) || v.some((item) => typeof item !== "string")) {
      fail(key, `expected an array of strings, got ${typeName(v)}`, TRUST_ALLOWED);
    }
    for (const item of v as string[]) {
      if (name === "domains") {
        const suffix = normalizeSuffix(item);
        if (!suffix) fail(key, `"${item}" is not a domain`, 'a domain such as "example.com"');
        trust.domains.push(suffix as string);
      } else {
        if (!(item in TRUSTABLE_KEYS)) {
          fail(key, `"${item}" is not a limited key`, Object.keys(TRUSTABLE_KEYS).join(", "));
        }
        trust.keys.push(item);
      }
    }
  }
  return trust;
}

/** The known key nearest to a mistyped one (at most 2 edits, or a different order of its parts). */
export function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const last = (k: string) => k.split(".").pop() ?? k;
  for (const candidate of known) {
    const d = Math.min(editDistance(key, candidate), editDistance(last(key), last(candidate)) + 1);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        (row[j] as number) + 1,
        (next[j - 1] as number) + 1,
        (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length] as number;
}

const GROUP_ALLOWED = "[group] with base = PORT and one table per service: [group.web] offset = 0 " +
  '(or port = 5432), optional env = "WEB_PORT"';
const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseGroup(
  value: unknown,
  path: string,
  fail: (key: string, problem: string, allowed: string) => never,
  checkEnv: (key: string, name: string) => void,
): GroupConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("group", `expected a table, got ${typeName(value)}`, GROUP_ALLOWED);
  }
  const slash = path.lastIndexOf("/");
  const group: GroupConfig = { file: path, dir: slash > 0 ? path.slice(0, slash) : "/", members: [] };
  const portValue = (key: string, v: unknown, min: number): number => {
    const n = typeof v === "number" || typeof v === "bigint" ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > 65535) {
      fail(
        key,
        `${JSON.stringify(typeof v === "bigint" ? Number(v) : v)} is out of range`,
        `an integer from ${min} to 65535`,
      );
    }
    return n;
  };
  const seenEnv = new Map<string, string>();
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (name === "base") {
      group.base = portValue("group.base", v, 1);
      continue;
    }
    const key = `group.${name}`;
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      fail(key, `expected a service table, got ${typeName(v)}`, GROUP_ALLOWED);
    }
    if (!TAG_RE.test(name)) fail(key, "invalid service name", "letters, digits, '.', '_' and '-'");
    const member: GroupMember = { tag: name, env: `TREEHOUSE_PORT_${envName(name)}` };
    for (const [field, fv] of Object.entries(v as Record<string, unknown>)) {
      const fkey = `${key}.${field}`;
      if (field === "offset") member.offset = portValue(fkey, fv, 0);
      else if (field === "port") member.port = portValue(fkey, fv, 1);
      else if (field === "env") {
        if (typeof fv !== "string" || !ENV_RE.test(fv)) {
          fail(
            fkey,
            `${JSON.stringify(fv)} is not a variable name`,
            "a name such as WEB_PORT ([A-Za-z_][A-Za-z0-9_]*)",
          );
        }
        member.env = fv as string;
        checkEnv(fkey, member.env);
      } else fail(fkey, "unknown key", "offset, port, env");
    }
    if (member.offset !== undefined && member.port !== undefined) {
      fail(key, "has both offset and port", "either offset = N or port = N");
    }
    const clash = seenEnv.get(member.env);
    if (clash) fail(key, `uses the variable ${member.env} of group.${clash} too`, "distinct env names");
    seenEnv.set(member.env, name);
    group.members.push(member);
  }
  if (group.members.length === 0) fail("group", "declares no service", GROUP_ALLOWED);
  return group;
}

/** Upper snake case for a tag: `web-api.v2` → `WEB_API_V2`. */
export function envName(tag: string): string {
  return tag.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}

/**
 * Best-effort line of a dotted key in TOML text: tracks `[table]` headers and matches `key =`,
 * dotted keys and inline tables by their last part. Falls back to the table's header, then 1.
 */
export function lineOf(text: string, key: string): number {
  const parts = key.split(".");
  const lines = text.split("\n");
  let table: string[] = [];
  let headerLine: number | undefined;
  let childLine: number | undefined;
  const clean = (s: string) => s.trim().replace(/^["']|["']$/g, "");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/#.*$/, "").trim();
    const header = /^\[\[?([^\]]+)\]\]?$/.exec(line);
    if (header) {
      table = (header[1] as string).split(".").map(clean);
      if (table.join(".") === key) return i + 1;
      if (headerLine === undefined && key.startsWith(`${table.join(".")}.`) && table.length > 0) {
        headerLine = i + 1;
      }
      // `[group.web]` defines `group` too, when no `[group]` header does.
      if (childLine === undefined && table.join(".").startsWith(`${key}.`)) childLine = i + 1;
      continue;
    }
    const assign = /^([^=]+?)\s*=/.exec(line);
    if (!assign) continue;
    const full = [...table, ...(assign[1] as string).split(".").map(clean)];
    const joined = full.join(".");
    if (joined === key) return i + 1;
    // An inline table (`web = { offset = 0 }`) holds deeper keys on the same line.
    if (key.startsWith(`${joined}.`) && line.includes("{")) return i + 1;
  }
  if (childLine !== undefined) return childLine;
  if (parts.length > 1) {
    const parent = lineOf(text, parts.slice(0, -1).join("."));
    if (parent > 1) return parent;
  }
  return headerLine ?? 1;
}
