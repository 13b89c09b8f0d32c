/**
 * The context every command receives: output streams, working directory, environment, global flags.
 * Built once in the entry point; tests build their own.
 */
import type { Application, CommandContext } from "@stricli/core";
import type { Env } from "../registry/path.ts";
import type { Config } from "../adapters/config-files.ts";
import type { Host } from "../adapters/platform/host.ts";

/** A text sink (stdout or stderr). */
export interface TextWriter {
  write(text: string): void;
}

/** What commands get as `this`. */
export interface AppContext extends CommandContext {
  readonly process: { readonly stdout: TextWriter; readonly stderr: TextWriter };
  readonly cwd: string;
  readonly env: Env;
  /** The configuration of this command (files found, TOML parser, settings): built once in the runner. */
  readonly config: Config;
  /**
   * The machine (its OS, read once from `Deno.build.os` by the runner, with its process and socket
   * probes): built once per command and passed down.
   */
  readonly host: Host;
  /** `--db PATH` given anywhere before `--`. */
  readonly dbFlag?: string;
  /** `--verbose`: show error causes. */
  readonly verbose: boolean;
  /** Colour on stderr (TTY and no `NO_COLOR`). */
  readonly color: boolean;
  /** Colour on stdout (TTY and no `NO_COLOR`). */
  readonly colorStdout: boolean;
  /**
   * Builds the whole command tree (for `completions propose`). Given by the entry point so that no
   * command imports `app.ts`, which imports every command (an import circle).
   */
  readonly loadApp?: () => Promise<Application<AppContext>>;
  /** Called by a command as it starts: everything on stderr before that came from the parser. */
  readonly onStart?: () => void;
  /** Set by a command that failed; the entry point prints it and picks the exit code. */
  failure?: unknown;
  /** Set by a command that exits with a code of its own (e.g. `run` passing on its child's). */
  exitCode?: number;
}

const encoder = new TextEncoder();

/** A writer over a Deno file that writes everything synchronously (no partial writes). */
export function fileWriter(file: { writeSync(p: Uint8Array): number }): TextWriter {
  return {
    write(text: string) {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) {
        try {
          const n = file.writeSync(bytes);
          bytes = bytes.subarray(n);
        } catch (error) {
          if (error instanceof Deno.errors.BrokenPipe) return; // `treehouse list | head` is fine
          throw error;
        }
      }
    },
  };
}
