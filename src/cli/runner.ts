/**
 * Runs the CLI for a list of arguments and returns the exit code. Global flags (`--db`, `--verbose`)
 * are taken out before stricli sees the rest; errors become one line plus a hint on stderr.
 */
import { run } from "@stricli/core";
import { ExitCode, formatError, TreehouseError, UsageError } from "../errors.ts";
import { denoEnv } from "../registry/path.ts";
import { buildApp } from "./app.ts";
import { type AppContext, fileWriter } from "./context.ts";

/** Global flags found before `--`. */
export interface GlobalFlags {
  db?: string;
  verbose: boolean;
  rest: string[];
}

/** Takes `--db PATH`, `--db=PATH` and `--verbose` out of the arguments (never after `--`). */
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
    if (arg === "--db") {
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
  } catch (error) {
    stderr.write(formatError(error as TreehouseError, false));
    return ExitCode.usage;
  }
  const noColor = (denoEnv("NO_COLOR") ?? "") !== "";
  const context: AppContext = {
    process: { stdout: fileWriter(Deno.stdout), stderr },
    cwd: Deno.cwd(),
    env: denoEnv,
    dbFlag: globals.db,
    verbose: globals.verbose,
    color: !noColor && Deno.stderr.isTerminal(),
    colorStdout: !noColor && Deno.stdout.isTerminal(),
  };
  const stricliProcess = context.process as AppContext["process"] & { exitCode?: number | string | null };
  await run(buildApp(), globals.rest, context);
  if (context.failure !== undefined) return reportFailure(context, context.failure);
  if (context.exitCode !== undefined) return context.exitCode;
  const code = Number(stricliProcess.exitCode ?? 0);
  // stricli uses negative codes for its own parse errors: those are usage errors.
  return code < 0 ? ExitCode.usage : code;
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
