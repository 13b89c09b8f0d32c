/**
 * The one wrapper around `Deno.Command`: argument arrays (never a shell), an optional process group of
 * its own, signals to a whole group, and start failures turned into clear errors (exit 127 / 126).
 */
import { CommandStartError, MissingToolError } from "../errors.ts";

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
  /** New session and process group (`setsid`): the child can be signalled as a group. */
  detached?: boolean;
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
 * code 127 (126 when it is not executable); with `tool: true`, a {@link MissingToolError}.
 */
export function spawn(command: string, options: SpawnOptions = {}): Spawned {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args: options.args ? [...options.args] : [],
      env: options.env,
      clearEnv: options.clearEnv,
      cwd: options.cwd,
      detached: options.detached,
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

/** Maps a spawn failure to a one-line error with the conventional shell exit code. */
export function startError(command: string, error: unknown, tool: boolean): Error {
  if (error instanceof Deno.errors.NotFound) {
    const hint = command.includes("/")
      ? `Check the path ${command}`
      : `Is ${command} installed and on your PATH?`;
    if (tool) return new MissingToolError(`${command} not found`, { hint, cause: error });
    return new CommandStartError(`Command not found: ${command}`, 127, { hint, cause: error });
  }
  if (error instanceof Deno.errors.PermissionDenied) {
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
export function signalNumber(signal: Deno.Signal, os: string = Deno.build.os): number | undefined {
  return (os === "darwin" ? DARWIN_SIGNALS : LINUX_SIGNALS)[signal];
}

/** The exit code a shell would report: the child's code, or 128+N for a death by signal N. */
export function exitCodeOf(info: ExitInfo): number {
  if (info.signal) {
    const n = signalNumber(info.signal);
    if (n !== undefined) return 128 + n;
  }
  return info.code;
}
