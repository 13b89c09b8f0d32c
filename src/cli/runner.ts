/**
 * Runs the CLI for a list of arguments and returns the exit code. Global flags (`--db`, `--verbose`)
 * are taken out before stricli sees the rest; errors become one line plus a hint on stderr.
 */
import { ExitCode, formatError, TreehouseError, UsageError } from "../errors.ts";
import { denoEnv } from "../registry/path.ts";
import { prepareConfig } from "../adapters/config-files.ts";
import { systemHost } from "../adapters/platform/host.ts";
import { type AppContext, fileWriter } from "./context.ts";
import { normalizeRunArgs, parseFast } from "./fast-path.ts";

/**
 * Commands that load the TOML parser only when a configuration file exists: those people put in
 * prompts and scripts (start-up matters most), `run` (its wrapper's memory stays small) and `dashboard`
 * (its idle memory).
 */
const LAZY_CONFIG_COMMANDS: ReadonlySet<string> = new Set([
  "ip",
  "env",
  "info",
  "list",
  "allocate",
  "run",
  "dashboard",
  // The control commands (issue 15): scripts and agents call them in loops.
  "status",
  "logs",
  "restart",
  "stop",
  "open",
]);

/** `run --db MODE`: the words that mean the database mode after `run` (see {@link extractGlobalFlags}). */
const RUN_DB_MODES: ReadonlySet<string> = new Set(["clone", "empty", "no"]);

/** Global flags found before `--`. */
export interface GlobalFlags {
  db?: string;
  verbose: boolean;
  rest: string[];
}

/**
 * Takes `--db PATH`, `--db=PATH` and `--verbose` out of the arguments (never after `--`). After `run`,
 * `--db clone|empty|no` is run's database mode (`--database`), not a registry file of that name.
 */
export function extractGlobalFlags(args: readonly string[]): GlobalFlags {
  const rest: string[] = [];
  let db: string | undefined;
  let verbose = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === "--db" && rest[0] === "run" && RUN_DB_MODES.has(args[i + 1] ?? "")) {
      // `run --db clone`: after `run`, these three words are the database mode, not a registry file.
      rest.push(`--database=${args[i + 1]}`);
      i++;
    } else if (arg === "--db=clone" || arg === "--db=empty" || arg === "--db=no") {
      if (rest[0] === "run") rest.push(`--database=${arg.slice(5)}`);
      else db = arg.slice(5);
    } else if (arg === "--db") {
      const value = args[i + 1];
      if (value === undefined) {
        throw new UsageError("--db needs a path", { hint: "Example: --db /tmp/registry.db" });
      }
      db = value;
      i++;
    } else if (arg.startsWith("--db=")) {
      db = arg.slice(5);
    } else if (arg === "--verbose") {
      verbose = true;
    } else {
      rest.push(arg);
    }
  }
  return { db, verbose, rest };
}

/** Runs treehouse with `args`; returns the process exit code. */
export async function runCli(args: readonly string[]): Promise<number> {
  const stderr = fileWriter(Deno.stderr);
  let globals: GlobalFlags;
  try {
    globals = extractGlobalFlags(args);
    // `treehouse run api` names a service; a command typed without `--` is explained here.
    globals.rest = normalizeRunArgs(globals.rest);
  } catch (error) {
    stderr.write(formatError(error as TreehouseError, false));
    return ExitCode.usage;
  }
  const noColor = (denoEnv("NO_COLOR") ?? "") !== "";
  const parserStderr = new ParserStderr(stderr);
  const cwd = Deno.cwd();
  // The TOML parser is loaded only when needed: these commands check for config files first.
  const config = await prepareConfig(
    denoEnv,
    cwd,
    !LAZY_CONFIG_COMMANDS.has(globals.rest[0] ?? ""),
    (text) => stderr.write(`warning: ${text}\n`),
  );
  const context: AppContext = {
    process: { stdout: fileWriter(Deno.stdout), stderr: parserStderr },
    onStart: () => parserStderr.commandStarted(),
    cwd,
    env: denoEnv,
    config,
    host: systemHost(Deno.build.os),
    dbFlag: globals.db,
    verbose: globals.verbose,
    color: !noColor && Deno.stderr.isTerminal(),
    colorStdout: !noColor && Deno.stdout.isTerminal(),
    loadApp: async () => (await import("./app.ts")).buildApp(),
  };
  const stricliProcess = context.process as AppContext["process"] & { exitCode?: number | string | null };
  const fast = parseFast(globals.rest);
  if (fast) {
    // Plain `ip`, `run`, `dashboard`, `status` and `restart` calls skip building the command tree.
    const { guard } = await import("./guard.ts");
    const command = fast.command === "ip"
      ? (await import("./commands/ip.ts")).default
      : fast.command === "run"
      ? (await import("./commands/run.ts")).default
      : fast.command === "status"
      ? (await import("./commands/control/status.ts")).default
      : fast.command === "restart"
      ? (await import("./commands/control/restart.ts")).default
      : (await import("./commands/dashboard.ts")).default;
    // deno-lint-ignore no-explicit-any
    await guard(command as any).call(context, fast.flags, ...fast.rest);
  } else {
    const [{ run }, { buildApp }] = await Promise.all([import("@stricli/core"), import("./app.ts")]);
    await run(await buildApp(globals.rest[0]), globals.rest, context);
  }
  if (context.failure !== undefined) return reportFailure(context, context.failure);
  if (context.exitCode !== undefined) return context.exitCode;
  const code = Number(stricliProcess.exitCode ?? 0);
  // stricli uses negative codes for its own parse errors: those are usage errors.
  parserStderr.finish(code < 0 ? commandPath(globals.rest) : undefined);
  return code < 0 ? ExitCode.usage : code;
}

/**
 * Holds what the argument parser writes to stderr, so its complaints read like every other
 * treehouse error: `treehouse: <what>` and a hint pointing at the command's `--help`.
 */
class ParserStderr {
  #held = "";
  #passthrough = false;
  constructor(private readonly inner: { write(text: string): void }) {}

  write(text: string): void {
    if (this.#passthrough) this.inner.write(text);
    else this.#held += text;
  }

  /** A command runs: its messages go straight through. */
  commandStarted(): void {
    this.#passthrough = true;
    this.finish(undefined);
  }

  /** Prints what was held; as a usage error with a hint when `usageOf` names the command. */
  finish(usageOf: string | undefined): void {
    const held = this.#held.trim();
    this.#held = "";
    if (!held) return;
    if (usageOf === undefined) {
      this.inner.write(`${held}\n`);
      return;
    }
    const message = readableParseError(
      held.split("\n").map((line) => line.trim()).filter(Boolean).join(": "),
    );
    // An unknown command's help is its parent's.
    if (/^No command registered/.test(message)) usageOf = usageOf.replace(/[^ ]+ $/, "");
    this.inner.write(`treehouse: ${message}\nhint: See \`treehouse ${usageOf}--help\`\n`);
  }
}

/**
 * stricli's `Failed to parse "abc" for readyTimeout: <why>` names the flag by its internal name and
 * repeats the value: users read `Invalid value for --ready-timeout: <why>` (a positional keeps its
 * placeholder, `PORT`).
 */
export function readableParseError(message: string): string {
  const parsed = /^Failed to parse "(?:[^"\\]|\\.)*" for ([^:]+): (.+)$/s.exec(message);
  if (!parsed) return message;
  const [, name = "", why = ""] = parsed;
  const shown = /^[a-z][a-zA-Z0-9-]*$/.test(name)
    ? `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
    : name;
  return `Invalid value for ${shown}: ${why}`;
}

/** The command words of the arguments (`port reserve `), for a help hint. */
function commandPath(args: readonly string[]): string {
  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith("-") || words.length === 2) break;
    words.push(arg);
  }
  return words.map((w) => `${w} `).join("");
}

function reportFailure(context: AppContext, error: unknown): number {
  if (error instanceof TreehouseError) {
    context.process.stderr.write(formatError(error, context.verbose));
    return error.exitCode;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  context.process.stderr.write(
    `treehouse: internal error (this is a bug, please report it):\n${text}\n`,
  );
  return ExitCode.internal;
}
