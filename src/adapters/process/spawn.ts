/**
 * The one wrapper around `Deno.Command`: argument arrays (never a shell), an optional process group of
 * its own, signals to a whole group, and start failures turned into clear errors (exit 127 / 126).
 */
import { CommandStartError, missingTool } from "../../errors.ts";
import { denoEnv } from "../env.ts";

/** How a child ended. `code` is the child's exit code, or 128+N when signal N killed it. */
export interface ExitInfo {
  code: number;
  signal: Deno.Signal | null;
}

/** Options for {@link spawn}. */
export interface SpawnOptions {
  args?: readonly string[];
  env?: Record<string, string>;
  /** Start from an empty environment (only `env`). */
  clearEnv?: boolean;
  cwd?: string;
  /**
   * New session and process group: the child can be signalled as a group. Uses `setsid` (the path of
   * `setsid(1)`, from the Host) when given (a cheap spawn, where `detached` has to fork the whole
   * wrapper: ~10 ms more on Linux), else Deno's `detached`. The child's pid is the same either way.
   */
  detached?: boolean;
  /** The `setsid(1)` program for `detached` (`Host.setsid()`); without it, Deno's `detached`. */
  setsid?: string;
  stdin?: "inherit" | "piped" | "null";
  stdout?: "inherit" | "piped" | "null";
  stderr?: "inherit" | "piped" | "null";
  /** Names the tool in the error when it is missing ("Is avahi-publish installed…"); default: a command. */
  tool?: boolean;
}

/** A started child. */
export interface Spawned {
  readonly pid: number;
  readonly process: Deno.ChildProcess;
  /** Resolves once when the child has exited. */
  readonly exited: Promise<ExitInfo>;
}

/**
 * Starts `command` with `options`. A missing program raises a {@link CommandStartError} with exit
 * code 127 (126 when it is not executable); with `tool: true`, a MissingToolError (see `missingTool`).
 */
export function spawn(command: string, options: SpawnOptions = {}): Spawned {
  let child: Deno.ChildProcess;
  let program = command;
  let args = options.args ? [...options.args] : [];
  let detached = options.detached;
  const setsid = detached ? options.setsid : undefined;
  if (setsid) {
    // setsid(1) execs the command itself: check first, so a missing command is our clear error.
    const problem = checkExecutable(command, options.env?.PATH ?? denoEnv("PATH"), options.cwd);
    if (problem) throw startError(command, problem, options.tool ?? false);
    program = setsid;
    args = [command, ...args];
    detached = false;
  }
  try {
    child = new Deno.Command(program, {
      args,
      env: options.env,
      clearEnv: options.clearEnv,
      cwd: options.cwd,
      detached,
      stdin: options.stdin ?? "inherit",
      stdout: options.stdout ?? "inherit",
      stderr: options.stderr ?? "inherit",
    }).spawn();
  } catch (error) {
    throw startError(command, error, options.tool ?? false);
  }
  const exited = child.status.then((s) => ({ code: s.code, signal: s.signal }));
  return { pid: child.pid, process: child, exited };
}

/** `setsid(1)` of util-linux (Linux), or undefined. Looks for the file: no process starts. */
export function findSetsid(os: string): string | undefined {
  if (os !== "linux") return undefined;
  return ["/usr/bin/setsid", "/bin/setsid"].find(isExecutableFile);
}

/** The path of the executable `name` in one of `path`'s directories, or `undefined`. No process starts. */
export function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? "").split(":")) {
    if (dir !== "" && isExecutableFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Why `command` cannot be executed, as the error spawning it would raise (NotFound, PermissionDenied),
 * or undefined when it can. Searches `path` like execvp for names without a slash.
 */
export function checkExecutable(command: string, path: string | undefined, cwd?: string): Error | undefined {
  if (command.includes("/")) {
    const full = command.startsWith("/") || !cwd ? command : `${cwd}/${command}`;
    try {
      Deno.statSync(full);
    } catch {
      return new Deno.errors.NotFound(`No such file: ${command}`);
    }
    return isExecutableFile(full)
      ? undefined
      : new Deno.errors.PermissionDenied(`Not executable: ${command}`);
  }
  let found = false;
  for (const dir of (path ?? "/usr/bin:/bin").split(":")) {
    const full = `${dir === "" ? "." : dir}/${command}`;
    if (isExecutableFile(full)) return undefined;
    try {
      Deno.statSync(full);
      found = true;
    } catch { /* not in this directory */ }
  }
  return found
    ? new Deno.errors.PermissionDenied(`Not executable: ${command}`)
    : new Deno.errors.NotFound(`Not found on PATH: ${command}`);
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Maps a spawn failure to a one-line error with the conventional shell exit code. */
export function startError(command: string, error: unknown, tool: boolean): Error {
  if (error instanceof Deno.errors.NotFound) {
    const hint = command.includes("/")
      ? `Check the path ${command}`
      : `Is ${command} installed and on your PATH?`;
    if (tool) return missingTool(command, { hint, cause: error });
    return new CommandStartError(`Command not found: ${command}`, 127, { hint, cause: error });
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    if (isDirectory(command)) {
      return new CommandStartError(`Command is a directory: ${command}`, 126, {
        hint: "Name the program to run, e.g. -- python3 -m http.server {port} --bind {ip}",
        cause: error,
      });
    }
    return new CommandStartError(`Command is not executable: ${command}`, 126, {
      hint: `Make it executable (chmod +x ${command}) or run it through its interpreter`,
      cause: error,
    });
  }
  return new CommandStartError(
    `Cannot start ${command}: ${error instanceof Error ? error.message : String(error)}`,
    126,
    { cause: error },
  );
}

/**
 * Sends `signal` to a process (`group: false`) or to the process group it leads (`group: true`).
 * Returns false when there was nothing to signal.
 */
export function sendSignal(pid: number, signal: Deno.Signal, group: boolean): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    Deno.kill(group ? -pid : pid, signal);
    return true;
  } catch {
    return false;
  }
}

const LINUX_SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};
const DARWIN_SIGNALS: Record<string, number> = {
  ...LINUX_SIGNALS,
  SIGBUS: 10,
  SIGUSR1: 30,
  SIGUSR2: 31,
};

/** The number of a signal on this OS (for the 128+N exit code). */
export function signalNumber(signal: Deno.Signal, os: string): number | undefined {
  return (os === "darwin" ? DARWIN_SIGNALS : LINUX_SIGNALS)[signal];
}

/** The exit code a shell would report: the child's code, or 128+N for a death by signal N. */
export function exitCodeOf(info: ExitInfo, os: string): number {
  if (info.signal) {
    const n = signalNumber(info.signal, os);
    if (n !== undefined) return 128 + n;
  }
  return info.code;
}

/** The outcome of a program run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runProgram}. */
export interface RunProgramOptions {
  /** The hint when the program is not installed (default: "Is X installed and on your PATH?"). */
  missingHint?: string;
  /** `inherit`: the program talks to the user's terminal (e.g. `sudo -v` asking for a password). */
  stdio?: "piped" | "inherit";
}

/** Runs a program and waits; a program that is not installed becomes a MissingToolError (see `missingTool`). */
export function runProgram(argv: readonly string[], options: RunProgramOptions = {}): RunResult {
  const [cmd, ...args] = argv as [string, ...string[]];
  const inherit = options.stdio === "inherit";
  try {
    const out = new Deno.Command(cmd, {
      args,
      stdin: inherit ? "inherit" : "null",
      stdout: inherit ? "inherit" : "piped",
      stderr: inherit ? "inherit" : "piped",
    }).outputSync();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: inherit ? "" : dec.decode(out.stdout),
      stderr: inherit ? "" : dec.decode(out.stderr),
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw missingTool(cmd, {
        hint: options.missingHint ?? `Is ${cmd} installed and on your PATH?`,
        cause: error,
      });
    }
    throw error;
  }
}

/** Describes a failed run like execa: the command, its exit code, the last lines of stderr. */
export function describeFailure(argv: readonly string[], result: RunResult): string {
  const tail = result.stderr.trim().split("\n").slice(-3).join(" / ");
  return `\`${argv.join(" ")}\` exited with code ${result.code}${tail ? `: ${tail}` : ""}`;
}

/**
 * Runs a short helper program to completion (`ps`, `lsof`) and returns its exit code and stdout, or
 * undefined when it cannot be started. For probes whose absence is not an error.
 */
export function probeOutput(
  command: string,
  args: readonly string[],
): { code: number; stdout: string } | undefined {
  try {
    return runProgram([command, ...args]);
  } catch {
    return undefined;
  }
}
