/**
 * Effective settings of the whole tool. Precedence, highest first: command-line flags (applied by
 * each command), `TREEHOUSE_*` variables, `treehouse.local.toml`, `treehouse.toml` (both found
 * walking up from the current directory, nearer first), the user's `config.toml`, built-in defaults.
 */
import type { Pool } from "../core/pool.ts";
import { UsageError } from "../errors.ts";
import type { Env } from "../registry/path.ts";
import type { PortSpan } from "../core/spans.ts";
import { type Config, type ConfigFile, type GroupConfig, userConfigPath } from "../adapters/config-files.ts";
import {
  type DatabaseCreate,
  InvalidValue,
  type KeyDef,
  type KeyName,
  KEYS,
  type MdnsMode,
} from "../core/config-schema.ts";
import { normalizeSuffix, type Trust, TRUSTABLE_KEYS } from "../core/trust.ts";
import type { RunConfig } from "../core/run-table.ts";

/** Settings used by allocation, `run` and port reservations. */
export interface Settings {
  pool: Pool;
  reclaimAfterMs: number;
  staleAfterMs: number;
  heartbeatMs: number;
  defaultPort: number;
  /** Hostname template with `{branch}` (and `{project}`), e.g. `{branch}.local`. */
  hostnameTemplate: string;
  /** Where `run` announces names (`local` by default: see {@link Settings.sources} for whether it was set). */
  mdns: MdnsMode;
  /** Ports reservations are chosen from. */
  portRange: PortSpan;
  /** Ports never handed out (all configuration levels together). */
  excludedPorts: PortSpan[];
  /** Which bind probes decide that a port is occupied now. */
  occupancy: { tcp: boolean; udp: boolean; ipv4: boolean; ipv6: boolean };
  /** Run prune + expire once when the port range is exhausted. */
  cleanupOnExhaustion: boolean;
  /** Age after which `autoclean` and the automatic clean-up expire a reservation. */
  expireAfterMs: number;
  /** `treehouse dashboard`'s default loopback `ADDR:PORT`. */
  /** `run` serves https://<host>/ through its TLS front (`https = true`, `TREEHOUSE_HTTPS`). */
  https: boolean;
  dashboardListen: string;
  /** `[database]`: the server URL from a file, the base of clones, and what `run` creates. */
  database: {
    url?: string;
    template?: string;
    from?: string;
    create: DatabaseCreate;
  };
  /** The nearest project group (`[group]`), if any. */
  group?: GroupConfig;
  /** The nearest project file's `[run]` table, if any. */
  run?: RunConfig;
  /** Where each value came from: `default`, `env NAME`, `FILE:LINE`. */
  sources: Record<KeyName, string>;
  /** The configuration files read, highest precedence first. */
  files: string[];
}

/**
 * Reads settings from the environment and the configuration files over the defaults. Invalid
 * variables are usage errors; invalid files are configuration errors naming file, line and key.
 * `cwd` is where the search for project files starts. Computed once per directory and command (the
 * command's `config` holds them).
 */
export function loadSettings(config: Config, cwd: string): Settings {
  const key = `settings:${cwd}`;
  const hit = config.memo.get(key) as Settings | undefined;
  if (hit) return hit;
  const settings = computeSettings(config, cwd);
  config.memo.set(key, settings);
  return settings;
}

/**
 * Reads every configuration file that applies to `cwd`, highest precedence first. The user's file is
 * read first: its `[trust]` (with the variables) says what the project files may set.
 */
export function configFiles(config: Config, cwd: string): ConfigFile[] {
  const env = config.env;
  const userPath = userConfigPath(env);
  const user = userPath ? config.read(userPath, "user") : undefined;
  const trust = trustOf(env, user, userPath);
  const found = config.projectFiles(cwd);
  const files: ConfigFile[] = [];
  for (const kind of ["local", "project"] as const) {
    for (const f of found.filter((f) => f.kind === kind)) {
      const file = config.read(f.path, kind, trust);
      if (file) files.push(file);
    }
  }
  if (user) files.push(user);
  return files;
}

/** What project files may do beyond the limits: the user file's `[trust]` plus the variables. */
export function trustFor(config: Config): Trust {
  const userPath = userConfigPath(config.env);
  return trustOf(config.env, userPath ? config.read(userPath, "user") : undefined, userPath);
}

function trustOf(env: Env, user: ConfigFile | undefined, userPath: string | undefined): Trust {
  const list = (name: string) => (env(name) ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  const domains = list("TREEHOUSE_TRUST_DOMAINS").map((d) => {
    const suffix = normalizeSuffix(d);
    if (!suffix) {
      throw new UsageError(`Invalid value in TREEHOUSE_TRUST_DOMAINS: "${d}" is not a domain`, {
        hint: "TREEHOUSE_TRUST_DOMAINS takes domains separated by commas, e.g. example.com,corp.example",
      });
    }
    return suffix;
  });
  const keys = list("TREEHOUSE_TRUST_KEYS");
  for (const k of keys) {
    if (!(k in TRUSTABLE_KEYS)) {
      throw new UsageError(`Invalid value in TREEHOUSE_TRUST_KEYS: "${k}" is not a limited key`, {
        hint: `TREEHOUSE_TRUST_KEYS takes some of ${Object.keys(TRUSTABLE_KEYS).join(", ")}`,
      });
    }
  }
  return {
    domains: [...(user?.trust?.domains ?? []), ...domains],
    keys: [...(user?.trust?.keys ?? []), ...keys],
    userFile: userPath,
  };
}

function computeSettings(config: Config, cwd: string): Settings {
  const env = config.env;
  const files = configFiles(config, cwd);
  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const [name, def] of Object.entries(KEYS) as [KeyName, KeyDef][]) {
    const fromEnv = envValue(env, def);
    if (fromEnv) {
      values[name] = fromEnv.value;
      sources[name] = `env ${fromEnv.name}`;
      continue;
    }
    const file = files.find((f) => name in f.values);
    if (file) {
      values[name] = file.values[name];
      sources[name] = `${file.path}:${file.lines[name] ?? 1}`;
    } else {
      values[name] = def.default;
      sources[name] = "default";
    }
  }
  // Exclusions add up across levels: a project's exclusions never unblock the user's.
  if (!sources.excludedPorts?.startsWith("env ")) {
    const all: PortSpan[] = [];
    const where: string[] = [];
    for (const f of files) {
      const spans = f.values.excludedPorts as PortSpan[] | undefined;
      if (spans) {
        all.push(...spans);
        where.push(`${f.path}:${f.lines.excludedPorts ?? 1}`);
      }
    }
    values.excludedPorts = all;
    sources.excludedPorts = where.length ? where.join(" + ") : "default";
  }
  const range = values.portRange as PortSpan;
  return {
    pool: values.pool as Pool,
    reclaimAfterMs: values.reclaimAfterMs as number,
    staleAfterMs: values.staleAfterMs as number,
    heartbeatMs: values.heartbeatMs as number,
    defaultPort: values.defaultPort as number,
    hostnameTemplate: values.hostnameTemplate as string,
    mdns: values.mdns as MdnsMode,
    portRange: range,
    excludedPorts: values.excludedPorts as PortSpan[],
    occupancy: {
      tcp: values.checkTcp as boolean,
      udp: values.checkUdp as boolean,
      ipv4: values.checkIpv4 as boolean,
      ipv6: values.checkIpv6 as boolean,
    },
    cleanupOnExhaustion: values.cleanupOnExhaustion as boolean,
    https: values.https as boolean,
    expireAfterMs: values.expireAfterMs as number,
    dashboardListen: values.dashboardListen as string,
    group: nearest(files, "group"),
    run: nearest(files, "run"),
    database: {
      url: values.databaseUrl as string | undefined,
      template: values.databaseTemplate as string | undefined,
      from: values.databaseFrom as string | undefined,
      create: values.databaseCreate as DatabaseCreate,
    },
    sources: sources as Record<KeyName, string>,
    files: files.map((f) => f.path),
  };
}

/**
 * The `[group]` or `[run]` of the nearest project file (a local file before its neighbour); the user
 * file has none.
 */
function nearest<K extends "group" | "run">(files: ConfigFile[], table: K): ConfigFile[K] | undefined {
  const depth = (f: ConfigFile) => f.path.split("/").length;
  return files.filter((f) => f[table] && f.kind !== "user")
    .sort((a, b) => depth(b) - depth(a) || (a.kind === "local" ? -1 : 1) - (b.kind === "local" ? -1 : 1))[0]
    ?.[table];
}

function envValue(env: Env, def: KeyDef): { name: string; value: unknown } | undefined {
  for (const name of def.env) {
    const text = env(name);
    if (text === undefined || text === "") continue;
    try {
      return { name, value: def.fromEnv(text) };
    } catch (error) {
      if (error instanceof InvalidValue) {
        throw new UsageError(`Invalid value in ${name}: ${error.message}`, {
          hint: `${name} (configuration key ${def.key}) takes ${error.allowed}`,
        });
      }
      throw error;
    }
  }
  return undefined;
}

/** Parses a TCP port number (1–65535). */
export function parsePort(text: string, source: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 65535) {
    throw new UsageError(`Invalid port in ${source}: "${text}"`, { hint: "Use a number from 1 to 65535" });
  }
  return n;
}
