/**
 * The start-up fast path for the commands whose start-up time users feel: `treehouse ip` (in
 * prompts and direnv) and `treehouse run` (between typing it and the dev server starting), and for
 * `treehouse dashboard`, whose idle memory the command tree would add to. A plain call is parsed here, without building the command tree; anything unusual (help, an
 * unknown or malformed flag, a missing `--`) returns `undefined` and goes through the full parser,
 * which also produces every error message. The specs mirror the flags declared in `app.ts` and
 * `routes/run.ts` and `routes/dashboard.ts`; a test checks that both know the same flags.
 */
import { UsageError } from "../errors.ts";
import { portNumber } from "./flags.ts";

/** One flag of a fast-path spec: a value parser, `boolean` (on by default, `--no-` turns it off) or `switch`. */
type FlagSpec = ((text: string) => unknown) | "boolean" | "switch";

/** A command the fast path knows. */
interface CommandSpec {
  flags: Record<string, FlagSpec>;
  defaults: Record<string, unknown>;
  /** Takes the words after `--` (at least one). */
  rest: boolean;
  /** The words after `--` may be left out (`run` then starts the project's `[run]` command). */
  restOptional?: boolean;
}

const branchFlags = { branch: String, project: String, app: String };

/** Parses `--ready-timeout` / `--kill-timeout`: seconds > 0. */
export function positiveSeconds(text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n > 0)) {
    throw new SyntaxError(`expected seconds > 0, got "${text}"`);
  }
  return n;
}

const SPECS: Record<string, CommandSpec> = {
  ip: { flags: branchFlags, defaults: {}, rest: false },
  run: {
    flags: {
      ...branchFlags,
      port: portNumber,
      name: String,
      mdns: "boolean",
      envPort: "boolean",
      restart: (t) => {
        if (t !== "no" && t !== "on-failure") throw new SyntaxError(t);
        return t;
      },
      ready: String,
      readyTimeout: positiveSeconds,
      killTimeout: positiveSeconds,
      quiet: "switch",
      hosts: "switch",
      database: (t) => {
        if (t !== "clone" && t !== "empty" && t !== "no") throw new SyntaxError(t);
        return t;
      },
      https: "boolean",
      port80: "switch",
      service: String,
      preset: "boolean",
      yes: "switch",
      detach: "switch",
      json: "switch",
      logFile: String,
    },
    defaults: { mdns: true, envPort: true, preset: true },
    rest: true,
    restOptional: true,
  },
  dashboard: { flags: { listen: String, open: "switch", jsonUrl: "switch" }, defaults: {}, rest: false },
  // Scripts and agents call these in loops (issue 15); a BRANCH argument goes to the full parser.
  status: {
    flags: {
      branch: String,
      project: String,
      json: "switch",
      service: String,
      wait: "switch",
      timeout: positiveSeconds,
      all: "switch",
    },
    defaults: {},
    rest: false,
  },
  restart: {
    flags: { branch: String, project: String, json: "switch", service: String, wait: "boolean" },
    defaults: { wait: true },
    rest: false,
  },
};

/** The commands the fast path knows. */
export type FastCommand = "ip" | "run" | "dashboard" | "status" | "restart";

/** The flags the fast path knows for `command`, in kebab case (for the agreement test). */
export function fastFlagNames(command: FastCommand): string[] {
  return Object.keys(SPECS[command]?.flags ?? {}).map((name) =>
    name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  );
}

/** A parsed fast-path call: the command, its flags and its trailing words. */
export interface FastCall {
  command: FastCommand;
  flags: Record<string, unknown>;
  rest: string[];
}

function camel(kebab: string): string {
  return kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Parses a plain call of a fast-path command, or returns `undefined` to leave it to the full parser. */
export function parseFast(args: readonly string[]): FastCall | undefined {
  const command = args[0];
  if (command === undefined || !Object.hasOwn(SPECS, command)) return undefined;
  const spec = SPECS[command] as CommandSpec;
  const flags: Record<string, unknown> = { ...spec.defaults };
  const known = command as FastCommand;
  const seen = new Set<string>();
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      const rest = args.slice(i + 1);
      return spec.rest && rest.length > 0 && rest[0] !== "" ? { command: known, flags, rest } : undefined;
    }
    const match = /^--(no-)?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) return undefined;
    const name = camel(match[2] as string);
    const kind = spec.flags[name];
    if (kind === undefined || seen.has(name)) return undefined;
    seen.add(name);
    if (kind === "boolean" || kind === "switch") {
      if (match[3] !== undefined || (kind === "switch" && match[1] !== undefined)) return undefined;
      flags[name] = match[1] === undefined;
      continue;
    }
    if (match[1] !== undefined) return undefined;
    const value = match[3] ?? args[++i];
    if (value === undefined || (match[3] === undefined && value.startsWith("-"))) return undefined;
    try {
      flags[name] = kind(value);
    } catch {
      return undefined; // the full parser words the error
    }
  }
  return spec.rest && !spec.restOptional ? undefined : { command: known, flags, rest: [] };
}

/**
 * `treehouse run [FLAGS] [SERVICE] [FLAGS] [-- CMD…]`: turns the service word into `--service
 * SERVICE`, so that both parsers see flags and the words after `--` only. A command typed without
 * `--` (`treehouse run npx vite --host {ip}`) is a usage error that shows where `--` goes; anything
 * else unusual is left for the full parser to word.
 */
export function normalizeRunArgs(args: readonly string[]): string[] {
  if (args[0] !== "run") return [...args];
  const spec = SPECS.run as CommandSpec;
  const flags: string[] = [];
  const words: string[] = [];
  let firstWord = -1;
  let i = 1;
  let unknownAfterWord = false;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") break;
    if (arg.startsWith("-") && arg !== "-") {
      const match = /^--(no-)?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
      const kind = match ? spec.flags[camel(match[2] as string)] : undefined;
      if (kind === undefined) {
        if (words.length > 0) unknownAfterWord = true;
        flags.push(arg);
        continue;
      }
      flags.push(arg);
      if (kind !== "boolean" && kind !== "switch" && match?.[3] === undefined && i + 1 < args.length) {
        flags.push(args[++i] as string);
      }
      continue;
    }
    if (firstWord < 0) firstWord = i;
    words.push(arg);
  }
  if (words.length > 1 || (words.length === 1 && unknownAfterWord)) {
    // Everything from the first word on is the command (its own flags included).
    const shown = [
      "treehouse",
      ...args.slice(0, firstWord),
      "--",
      ...args.slice(firstWord).filter((a) => a !== "--"),
    ];
    throw new UsageError(`Put the command after \`--\`: ${shown.join(" ")}`, {
      hint: "Before `--` come treehouse's own flags and a [run] service's name (treehouse run api)",
    });
  }
  const rest = args.slice(i);
  return words.length === 1 ? ["run", ...flags, "--service", words[0] as string, ...rest] : [...args];
}
