/**
 * Reads and writes a hosts file safely: the new content goes to a temp file in the same directory
 * with the original's mode and owner, the previous content to `<file>.treehouse.bak`, then one
 * rename replaces the file, so a reader never sees half a file and concurrent writers each leave a
 * whole one. A refusal from the system becomes a {@link PermissionError} naming the sudo command.
 */
import { HostsFileError, PermissionError } from "../errors.ts";

/** Default hosts file. */
export const DEFAULT_HOSTS_FILE = "/etc/hosts";

/** Reads the hosts file; a missing file reads as empty. */
export function readHostsFile(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    if (error instanceof Deno.errors.PermissionDenied) throw denied(path, error, undefined);
    throw new HostsFileError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Options for {@link writeHostsFile}. */
export interface WriteOptions {
  /** The command that would succeed with root rights, shown when the write is refused. */
  sudoCommand?: string;
  /** Keep the previous content in `<path>.treehouse.bak` (default true). */
  backup?: boolean;
}

/**
 * Replaces `path` with `content` atomically, keeping its mode and owner. Bind-mounted files (such
 * as /etc/hosts inside containers) cannot be renamed over: those are rewritten in place instead.
 */
export function writeHostsFile(given: string, content: string, options: WriteOptions = {}): void {
  const path = followSymlink(given);
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw denied(path, error, options.sudoCommand);
  }
  const mode = (info?.mode ?? 0o644) & 0o7777;
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  const base = path.slice(path.lastIndexOf("/") + 1);
  const suffix = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const temp = `${dir}/.${base}.treehouse.${suffix}`;
  const bakTemp = `${dir}/.${base}.treehouse.bak.${suffix}`;
  try {
    // Refuse early, before any temp file exists, when the file itself may not be written.
    if (info) Deno.openSync(path, { write: true }).close();
    writeWithMode(temp, new TextEncoder().encode(content), mode, info);
    const keepBackup = info !== undefined && options.backup !== false;
    if (keepBackup) writeWithMode(bakTemp, Deno.readFileSync(path), mode, info);
    try {
      Deno.renameSync(temp, path);
    } catch (error) {
      if (!cannotRenameOver(error)) throw error;
      Deno.writeTextFileSync(path, content); // a bind mount (Docker's /etc/hosts): rewrite in place
      Deno.removeSync(temp);
    }
    if (keepBackup) Deno.renameSync(bakTemp, `${path}.treehouse.bak`);
  } catch (error) {
    for (const leftover of [temp, bakTemp]) {
      try {
        Deno.removeSync(leftover);
      } catch { /* not created */ }
    }
    throw denied(path, error, options.sudoCommand);
  }
}

/**
 * Runs `fn` holding an exclusive lock on the hosts file's directory (flock on the directory itself:
 * no lock file is left in /etc). Concurrent treehouse writers then take turns, so the last one to
 * write also read the registry last. Where the directory cannot be opened, `fn` runs unlocked.
 */
export function withHostsLock<T>(path: string, fn: () => T): T {
  const target = followSymlink(path);
  const dir = target.includes("/") ? target.slice(0, target.lastIndexOf("/")) || "/" : ".";
  let lock: Deno.FsFile | undefined;
  try {
    lock = Deno.openSync(dir, { read: true });
    lock.lockSync(true);
  } catch {
    lock?.close();
    lock = undefined;
  }
  try {
    return fn();
  } finally {
    lock?.close(); // closing releases the lock
  }
}

/** A symlinked hosts file (NixOS, some dotfile setups) is written at its target, keeping the link. */
function followSymlink(path: string): string {
  try {
    return Deno.lstatSync(path).isSymlink ? Deno.realPathSync(path) : path;
  } catch {
    return path;
  }
}

function writeWithMode(file: string, data: Uint8Array, mode: number, info: Deno.FileInfo | undefined): void {
  try {
    Deno.writeFileSync(file, data, { mode, createNew: true });
    Deno.chmodSync(file, mode); // the umask may have narrowed it
    if (info?.uid != null && info.gid != null && (info.uid !== Deno.uid() || info.gid !== Deno.gid())) {
      try {
        Deno.chownSync(file, info.uid, info.gid);
      } catch { /* only root can give a file away; the owner is then ours */ }
    }
  } catch (error) {
    try {
      Deno.removeSync(file);
    } catch { /* never created */ }
    throw error;
  }
}

/** EBUSY (a bind-mounted file) or EXDEV: the file can be rewritten but not renamed over. */
function cannotRenameOver(error: unknown): boolean {
  return error instanceof Deno.errors.Busy ||
    (error instanceof Error &&
      /os error (16|18)\b|EBUSY|EXDEV|resource busy|cross-device/i.test(error.message));
}

function denied(path: string, error: unknown, sudoCommand: string | undefined): Error {
  const refused = error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable ||
    (error instanceof Error && /EPERM|EACCES|EROFS|read-only|not permitted/i.test(error.message));
  if (!refused) {
    return new HostsFileError(`Cannot write ${path}: ${(error as Error).message}`, {
      hint: "The file is replaced through a temp file beside it: give a regular file in a writable " +
        "directory (--dry-run shows the block)",
      cause: error,
    });
  }
  return new PermissionError(`Permission denied: cannot write ${path}`, {
    hint: sudoCommand ? `Run: ${sudoCommand}` : `Run the same command with sudo`,
    cause: error,
  });
}
