/**
 * The one error family of treehouse. Every failure a user can cause or fix is a
 * `TreehouseError` with a stable exit code, a one-line message and an optional hint.
 * Anything else that reaches the entry point is a bug and is printed with its stack.
 */

/** Stable exit codes, documented in the README. Scripts may rely on them. */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  notARepository: 4,
  poolExhausted: 5,
  registry: 6,
  conflict: 7,
  config: 8,
  permission: 9,
  missingTool: 10,
  timeout: 11,
  system: 12,
  certificate: 13,
  database: 14,
  assertionFailed: 15,
  hostsFile: 16,
  runEnded: 20,
  notAnswering: 21,
  wrapperRefused: 22,
  commandNotExecutable: 126,
  commandNotFound: 127,
} as const;

/** Options shared by every treehouse error. */
export interface TreehouseErrorOptions {
  hint?: string;
  /** The one command that fixes it, as data (doctor shows it; never parsed out of the hint). */
  fix?: string;
  cause?: unknown;
}

/** Base of every expected failure: prints as one line plus a hint, never a stack. */
export class TreehouseError extends Error {
  readonly exitCode: number = ExitCode.internal;
  readonly hint?: string;
  /** The one command that fixes it, when there is one. */
  readonly fix?: string;
  constructor(message: string, options: TreehouseErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.fix = options.fix;
  }
}

/** Wrong flags, arguments or values given on the command line or in the environment. */
export class UsageError extends TreehouseError {
  override readonly exitCode: number = ExitCode.usage;
}

/**
 * A command the project's treehouse.toml brought needs the user's yes, and there is no terminal to
 * ask on and no `--yes` (exit 2, like any missing argument).
 */
export class ConsentRequiredError extends UsageError {}

/** The thing asked about (allocation, reservation, branch) does not exist. */
export class NotFoundError extends TreehouseError {
  override readonly exitCode: number = ExitCode.notFound;
}

/** The directory is not inside a git repository and no `--branch` was given. */
export class NotARepositoryError extends TreehouseError {
  override readonly exitCode: number = ExitCode.notARepository;
}

/** Every IP of the pool (or port of the range) is held by a live or recent holder. */
export class PoolExhaustedError extends TreehouseError {
  override readonly exitCode: number = ExitCode.poolExhausted;
}

/** The registry file is unreadable, corrupt, read-only or from a newer treehouse. */
export class RegistryError extends TreehouseError {
  override readonly exitCode: number = ExitCode.registry;
}

/** The registry can be read but not written (a read-only or immutable file): same exit code. */
export class ReadOnlyRegistryError extends RegistryError {}

/** Something else already holds what was asked for (a port, a hostname, a sticky field). */
export class ConflictError extends TreehouseError {
  override readonly exitCode: number = ExitCode.conflict;
}

/** A configuration file or variable has an unknown key, a wrong type or an invalid value. */
export class ConfigError extends TreehouseError {
  override readonly exitCode: number = ExitCode.config;
}

/** The operating system refused: a file that cannot be written, an action that needs root. */
export class PermissionError extends TreehouseError {
  override readonly exitCode: number = ExitCode.permission;
}

/** A program treehouse needs (git, dns-sd, avahi-publish…) is not installed. */
export class MissingToolError extends TreehouseError {
  override readonly exitCode: number = ExitCode.missingTool;
}

/** Something did not become ready in time. */
export class TimeoutError extends TreehouseError {
  override readonly exitCode: number = ExitCode.timeout;
}

/** The run asked about is not running (it stopped or crashed, or ended while being waited for). */
export class RunEndedError extends TreehouseError {
  override readonly exitCode: number = ExitCode.runEnded;
}

/** A run's wrapper is alive but does not answer its control socket (SIGSTOPped, or wedged). */
export class NotAnsweringError extends TreehouseError {
  override readonly exitCode: number = ExitCode.notAnswering;
}

/**
 * A run's wrapper answered a control request with an error (it is stopping, or it refused the request):
 * its words are the message. Not a bug and not a usage mistake, so it has its own code.
 */
export class WrapperRefusedError extends TreehouseError {
  override readonly exitCode: number = ExitCode.wrapperRefused;
}

/** A `port assert-*` check did not hold (scripts test for it; not a bug, not a usage mistake). */
export class AssertionFailedError extends TreehouseError {
  override readonly exitCode: number = ExitCode.assertionFailed;
}

/** The hosts file could not be read or written (other than a refusal, which is a PermissionError), or its block is damaged. */
export class HostsFileError extends TreehouseError {
  override readonly exitCode: number = ExitCode.hostsFile;
}

/**
 * The one wording of a missing program: "`name` is not installed or not on PATH", with a hint (default:
 * install it or put it on PATH).
 */
export function missingTool(name: string, options: TreehouseErrorOptions = {}): MissingToolError {
  return new MissingToolError(`${name} is not installed or not on PATH`, {
    hint: options.hint ?? `Install ${name}, or add its directory to PATH`,
    cause: options.cause,
  });
}

/** A wrapped command could not be started (`127` not found, `126` not executable). */
export class CommandStartError extends TreehouseError {
  override readonly exitCode: number;
  constructor(message: string, exitCode: number, options: TreehouseErrorOptions = {}) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** Formats an error for stderr: one line, then the hint, then (verbose) the cause chain. */
export function formatError(error: TreehouseError, verbose: boolean): string {
  let text = `treehouse: ${error.message}\n`;
  if (error.hint) text += `hint: ${error.hint}\n`;
  if (verbose) {
    let cause = error.cause;
    while (cause !== undefined) {
      text += `cause: ${cause instanceof Error ? cause.message : String(cause)}\n`;
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  }
  return text;
}

/** A system program treehouse drives (launchctl, pfctl, ifconfig) failed, or `doctor` found a problem. */
export class SystemError extends TreehouseError {
  override readonly exitCode: number = ExitCode.system;
}

/** The local certificate authority is unreadable, corrupt or expired (never replaced without `--renew`). */
export class CertificateError extends TreehouseError {
  override readonly exitCode: number = ExitCode.certificate;
}

/** The database server could not be reached, or failed a request (`treehouse db`, `run` creating one). */
export class DatabaseError extends TreehouseError {
  override readonly exitCode: number = ExitCode.database;
}
