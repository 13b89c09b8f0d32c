/**
 * What `treehouse run` will start, worked out from the flags, the project's `[run]` table and what
 * the registry remembers: the service, the command (with its framework's preset), the port and
 * where it came from, `--ready`, the restart policy, extra variables, and whether the user must
 * first agree to run a command the project brought. Pure.
 */
import { UsageError } from "../errors.ts";
import { applyPreset, applyPresetThroughScript } from "./presets.ts";
import { chooseService, DEFAULT_SERVICE, type RunConfig, type RunService } from "./run-table.ts";

/** The placeholders `run` fills in, in commands, `--ready` and `[run].env` values (`{cert}` `{key}` with `--https`). */
export const PLACEHOLDERS = ["ip", "port", "host", "url", "branch", "db", "cert", "key"] as const;

/** What the user asked for on the command line. */
export interface RunRequest {
  /** Words after `--` (empty: the project's command). */
  typed: readonly string[];
  /** `treehouse run api`: the service's name. */
  service?: string;
  port?: number;
  ready?: string;
  restart?: "no" | "on-failure";
  /** `--no-preset` makes this false. */
  preset: boolean;
}

/** Where the port came from. */
export type PortSource = "flag" | "recorded" | "config" | "default";

/** A prepared run. */
export interface RunPlan {
  service: string;
  /** The command's words, placeholders unexpanded, preset additions included. */
  words: string[];
  /** The command came from `[run]` (it needs the user's consent). */
  fromConfig: boolean;
  /** The directory the command runs in (the `[run]` file's), undefined: the current one. */
  cwd?: string;
  port: number;
  portSource: PortSource;
  ready?: string;
  restart: "no" | "on-failure";
  https?: boolean;
  /** Variables from `[run].env` and the preset (placeholders unexpanded). */
  env: Record<string, string>;
  /** The preset's name and what it added, for the banner. */
  preset?: { id: string; name: string; added: string[] };
  /** The file the command came from, when `fromConfig`. */
  source?: string;
  /** The command and variables as the file has them (what the user is asked about). */
  declared?: { command: string[]; env: Record<string, string> };
  /** The text the consent is about (canonical), when `fromConfig`. */
  consentSubject?: string;
}

/** Inputs that do not come from the command line. */
export interface PlanContext {
  config?: RunConfig;
  /** The port recorded for the branch's service (by an earlier `--port`). */
  recordedPort: (service: string) => number | undefined;
  /** `default_port` (TREEHOUSE_DEFAULT_PORT, PORT, the files, else 4000). */
  defaultPort: number;
  /** The environment the command inherits (a preset never overrides a variable set there). */
  env: (name: string) => string | undefined;
  /** package.json's `scripts` where the command runs (read only for `npm run …`-style commands). */
  scripts?: (dir: string | undefined) => Record<string, unknown> | undefined;
}

/** Works out the run. A missing service or command is a usage error with the way out. */
export function planRun(request: RunRequest, context: PlanContext): RunPlan {
  const config = context.config;
  let service: RunService | undefined;
  if (request.typed.length === 0) {
    const chosen = chooseService(config, request.service);
    if ("error" in chosen) throw serviceError(chosen, request);
    service = chosen.service;
  } else {
    // A typed command still takes its service's settings (port, env…), not its command; a service the
    // configuration does not declare just names the run (`--service api -- CMD`, issue 15).
    service = config?.services.find((s) => s.name === (request.service ?? DEFAULT_SERVICE));
  }
  const name = service?.name ?? request.service ?? DEFAULT_SERVICE;
  const fromConfig = request.typed.length === 0;
  const base = fromConfig ? service?.command : [...request.typed];
  if (base === undefined) {
    throw new UsageError(`[run${name === DEFAULT_SERVICE ? "" : `.${name}`}] has no command`, {
      hint: `Add command = ["…"] to ${config?.file ?? "treehouse.toml"}, or type it: treehouse run -- CMD`,
    });
  }
  const recorded = context.recordedPort(name);
  const [port, portSource]: [number, PortSource] = request.port !== undefined
    ? [request.port, "flag"]
    : recorded !== undefined
    ? [recorded, "recorded"]
    : service?.port !== undefined
    ? [service.port, "config"]
    : [context.defaultPort, "default"];
  const env: Record<string, string> = { ...service?.env };
  const usePreset = request.preset && service?.preset !== false;
  let words = [...base];
  let preset: RunPlan["preset"];
  if (usePreset) {
    const lookup = (n: string) => env[n] ?? context.env(n);
    let applied = applyPreset(words, lookup);
    if (!applied.preset && /^(npm|pnpm|yarn|bun)$/.test(words[0]?.split("/").pop() ?? "")) {
      applied = applyPresetThroughScript(
        words,
        context.scripts?.(fromConfig ? config?.dir : undefined),
        lookup,
      );
    }
    if (applied.preset) {
      words = applied.words;
      Object.assign(env, applied.env);
      const added = [...applied.added, ...Object.entries(applied.env).map(([k, v]) => `${k}=${v}`)];
      preset = { id: applied.preset.id, name: applied.preset.name, added };
    }
  }
  const ready = request.ready ?? service?.ready;
  checkPlaceholders(words, "the command", true);
  if (ready !== undefined) checkPlaceholders([ready], "--ready");
  checkPlaceholders(Object.values(env), "[run].env", true);
  return {
    service: name,
    words,
    fromConfig,
    cwd: fromConfig ? config?.dir : undefined,
    port,
    portSource,
    ready,
    restart: request.restart ?? service?.restart ?? "no",
    https: service?.https,
    env,
    preset,
    source: fromConfig ? config?.file : undefined,
    declared: fromConfig && service ? { command: [...base], env: { ...service.env } } : undefined,
    consentSubject: fromConfig && service ? consentSubject(service) : undefined,
  };
}

function serviceError(chosen: { error: string; known: string[] }, request: RunRequest): UsageError {
  const known = chosen.known.filter((n) => n !== DEFAULT_SERVICE);
  if (request.service !== undefined && request.typed.length === 0) {
    return new UsageError(chosen.error, {
      hint: (known.length ? `Services: ${known.join(", ")}. ` : "") +
        `To run a command, put it after \`--\`: treehouse run -- ${request.service} …`,
    });
  }
  if (chosen.known.length > 0) {
    return new UsageError(chosen.error, {
      hint: `Name one: ${known.map((n) => `treehouse run ${n}`).join(", ")}`,
    });
  }
  return new UsageError("No command to run", {
    hint: "Type it after `--` (treehouse run -- npx vite), or write a [run] table with `treehouse init`",
  });
}

/**
 * An unknown `{name}` in `texts` is a usage error naming the known placeholders. With `typosOnly`
 * (commands, where braces may belong to the program: `jq '{name}'`), only a near miss of a known
 * one (`{prot}`, `{hots}`) is; other braces stay as they are.
 */
export function checkPlaceholders(texts: readonly string[], where: string, typosOnly = false): void {
  for (const text of texts) {
    for (const match of text.matchAll(/\{([a-z][a-z_]*)\}/g)) {
      const name = match[1] as string;
      if ((PLACEHOLDERS as readonly string[]).includes(name)) continue;
      if (typosOnly && !PLACEHOLDERS.some((p) => editDistance(p, name) <= 2)) continue;
      throw new UsageError(`Unknown placeholder ${match[0]} in ${where}`, {
        hint: `Known placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(" ")}`,
      });
    }
  }
}

/** Levenshtein distance (short words only), counting a swap of two neighbours as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (d[i - 1] as number[])[j]! + 1,
        row[j - 1]! + 1,
        (d[i - 1] as number[])[j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, (d[i - 2] as number[])[j - 2]! + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The canonical text a consent covers: what the service runs and with which variables (a change
 * to either asks again; its port or ready check do not).
 */
export function consentSubject(service: RunService): string {
  const env = Object.keys(service.env).sort().map((k) => [k, service.env[k]]);
  return JSON.stringify({ command: service.command ?? [], env });
}

/** SHA-256 of a consent subject, hex. */
export async function consentHash(subject: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(subject));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The `--ready` value to probe: a URL on the branch's own name is probed on its IP (the name may not
 * resolve yet while mDNS probes, or at all with --no-mdns; any HTTP answer counts either way).
 */
export function readyProbe(text: string, v: { ip: string; host: string }): string {
  if (!/^https?:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.hostname.toLowerCase() !== v.host.toLowerCase()) return text;
    url.hostname = v.ip;
    return url.href;
  } catch {
    return text;
  }
}
