/**
 * The `[run]` table of treehouse.toml: the project's dev servers, so a plain `treehouse run` needs
 * nothing typed. `[run]` itself is the default service; `[run.<service>]` tables are more servers
 * of the same branch (`treehouse run api`). Checked here; the TOML text comes from `files.ts`.
 */
import { splitCommand, SplitError } from "./words.ts";
import { typeName } from "./config-schema.ts";

/** The name of the service `[run]`'s own keys describe. */
export const DEFAULT_SERVICE = "default";

/** One server of the project. */
export interface RunService {
  /** `default` for `[run]` itself, else the `<service>` of `[run.<service>]`. */
  name: string;
  /** The command as words (placeholders unexpanded); undefined: only settings, the command is typed. */
  command?: string[];
  port?: number;
  /** `--ready`: a port or a URL, placeholders allowed (`{url}/health`). */
  ready?: string;
  restart?: "no" | "on-failure";
  https?: boolean;
  /** Framework presets on (default) or off (`preset = false`, like `--no-preset`). */
  preset?: boolean;
  /** Extra variables for the command (placeholders allowed in values). */
  env: Record<string, string>;
}

/** A checked `[run]` table. */
export interface RunConfig {
  /** The file that declared it. */
  file: string;
  /** Its directory (the project root, where the command runs). */
  dir: string;
  /** The services, `default` first when `[run]` has keys of its own. */
  services: RunService[];
}

const FIELDS = ["command", "port", "ready", "restart", "https", "preset", "env"];
const SERVICE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RUN_ALLOWED = '[run] with command = ["npx", "vite"] (or a string), port = 5173, ready = "{url}/", ' +
  'restart = "on-failure", https = false, preset = true, env = { KEY = "value" }; [run.<service>] the same';

/** Checks a `[run]` value; `fail(key, problem, allowed)` reports with the file's line. */
export function parseRunTable(
  value: unknown,
  path: string,
  fail: (key: string, problem: string, allowed: string) => never,
): RunConfig {
  if (!isTable(value)) return fail("run", `expected a table, got ${typeName(value)}`, RUN_ALLOWED);
  const slash = path.lastIndexOf("/");
  const config: RunConfig = { file: path, dir: slash > 0 ? path.slice(0, slash) : "/", services: [] };
  const own: Record<string, unknown> = {};
  const named: [string, Record<string, unknown>][] = [];
  for (const [name, v] of Object.entries(value)) {
    if (FIELDS.includes(name)) own[name] = v;
    else if (isTable(v)) {
      if (!SERVICE_RE.test(name) || name === DEFAULT_SERVICE) {
        fail(`run.${name}`, "invalid service name", "letters, digits, '.', '_' and '-' (not \"default\")");
      }
      named.push([name, v]);
    } else fail(`run.${name}`, "unknown key", `${FIELDS.join(", ")}, or a [run.<service>] table`);
  }
  if (Object.keys(own).length > 0) config.services.push(parseService(DEFAULT_SERVICE, "run", own, fail));
  for (const [name, table] of named) config.services.push(parseService(name, `run.${name}`, table, fail));
  if (config.services.length === 0) fail("run", "declares no service", RUN_ALLOWED);
  return config;
}

function parseService(
  name: string,
  prefix: string,
  table: Record<string, unknown>,
  fail: (key: string, problem: string, allowed: string) => never,
): RunService {
  const service: RunService = { name, env: {} };
  for (const [field, v] of Object.entries(table)) {
    const key = `${prefix}.${field}`;
    switch (field) {
      case "command":
        service.command = parseCommand(key, v, fail);
        break;
      case "port": {
        const n = typeof v === "number" || typeof v === "bigint" ? Number(v) : NaN;
        if (!Number.isInteger(n) || n < 1 || n > 65535) {
          fail(
            key,
            `${typeName(v) === "an integer" ? String(v) : typeName(v)} is not a port`,
            "an integer from 1 to 65535",
          );
        }
        service.port = n;
        break;
      }
      case "ready":
        if (typeof v === "number" || typeof v === "bigint") service.ready = String(v);
        else if (typeof v === "string" && v !== "") service.ready = v;
        else {fail(
            key,
            `expected a port or a URL, got ${typeName(v)}`,
            'a port (4000) or a URL ("{url}/health")',
          );}
        break;
      case "restart":
        if (v !== "no" && v !== "on-failure") {
          fail(key, `${JSON.stringify(v)} is not a policy`, '"no" or "on-failure"');
        }
        service.restart = v as "no" | "on-failure";
        break;
      case "https":
      case "preset":
        if (typeof v !== "boolean") fail(key, `expected true or false, got ${typeName(v)}`, "true or false");
        service[field] = v as boolean;
        break;
      case "env":
        if (!isTable(v)) {
          fail(key, `expected a table, got ${typeName(v)}`, 'a table such as env = { KEY = "value" }');
        }
        for (const [k, ev] of Object.entries(v as Record<string, unknown>)) {
          if (!ENV_RE.test(k)) fail(`${key}.${k}`, "is not a variable name", "[A-Za-z_][A-Za-z0-9_]*");
          if (
            typeof ev !== "string" && typeof ev !== "number" && typeof ev !== "bigint" &&
            typeof ev !== "boolean"
          ) {
            fail(`${key}.${k}`, `expected a string, got ${typeName(ev)}`, "a string, number or boolean");
          }
          service.env[k] = String(ev);
        }
        break;
      default:
        fail(key, "unknown key", FIELDS.join(", "));
    }
  }
  return service;
}

function parseCommand(
  key: string,
  v: unknown,
  fail: (key: string, problem: string, allowed: string) => never,
): string[] {
  const allowed = 'a list of words (["npx", "vite"]) or a string ("npx vite"), no shell syntax';
  let words: string[];
  if (typeof v === "string") {
    try {
      words = splitCommand(v);
    } catch (error) {
      if (error instanceof SplitError) {
        return fail(key, `${error.message}`, `${allowed}; for a shell use ["sh", "-c", "…"]`);
      }
      throw error;
    }
  } else if (Array.isArray(v) && v.every((w) => typeof w === "string")) {
    words = v as string[];
  } else {
    return fail(key, `expected a list of strings or a string, got ${typeName(v)}`, allowed);
  }
  if (words.length === 0 || words[0] === "") fail(key, "is empty", allowed);
  return words;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * The service `treehouse run [NAME]` means: the named one, else `default`, else the only one.
 * Returns an error message (and the known names) when none fits.
 */
export function chooseService(
  config: RunConfig | undefined,
  name: string | undefined,
): { service: RunService } | { error: string; known: string[] } {
  const known = config?.services.map((s) => s.name) ?? [];
  if (name !== undefined) {
    const service = config?.services.find((s) => s.name === name);
    if (service) return { service };
    return {
      error: config ? `No service "${name}" in [run]` : `No service "${name}": there is no [run] table`,
      known,
    };
  }
  const service = config?.services.find((s) => s.name === DEFAULT_SERVICE) ??
    (config?.services.length === 1 ? config.services[0] : undefined);
  if (service) return { service };
  return {
    error: config ? "[run] has several services: name one" : "No [run] table in treehouse.toml",
    known,
  };
}
