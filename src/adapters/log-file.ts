/**
 * Log files of detached runs (issue 15): `<data dir>/logs/<project>/<branch>[.<service>].log`, 0600 in
 * 0700 directories, rotated at {@link LOG_ROTATE_BYTES} (the previous file kept as `.log.1`). Reading
 * the last lines and following the file across a rotation live here too.
 */
import { DEFAULT_SERVICE } from "../core/run-table.ts";
import { statOrUndefined } from "./paths.ts";

/** A log is rotated when a write would take it past this size (4 MiB). */
export const LOG_ROTATE_BYTES = 4 * 1024 * 1024;

/** An append-only log file that rotates itself. Writes are synchronous and never throw. */
export class RotatingLog {
  #file: Deno.FsFile | undefined;
  #size = 0;
  #failed = false;

  constructor(readonly path: string, readonly maxBytes: number = LOG_ROTATE_BYTES) {
    const slash = path.lastIndexOf("/");
    if (slash > 0) {
      Deno.mkdirSync(path.slice(0, slash), { recursive: true, mode: 0o700 });
    }
    this.#open();
  }

  #open(): void {
    this.#file = Deno.openSync(this.path, { create: true, append: true, mode: 0o600 });
    try {
      Deno.chmodSync(this.path, 0o600); // an existing file keeps its mode otherwise
    } catch { /* best effort */ }
    this.#size = this.#file.statSync().size;
  }

  /** Appends bytes, rotating first when they would not fit. */
  write(bytes: Uint8Array): void {
    if (this.#failed || bytes.length === 0) return;
    try {
      if (this.#size > 0 && this.#size + bytes.length > this.maxBytes) this.#rotate();
      let rest = bytes;
      while (rest.length > 0) rest = rest.subarray(this.#file!.writeSync(rest));
      this.#size += bytes.length;
    } catch {
      this.#failed = true; // a full disk must not take the server down: its output is dropped
    }
  }

  /** Appends a line of text (a newline added when missing). */
  line(text: string): void {
    this.write(new TextEncoder().encode(text.endsWith("\n") ? text : `${text}\n`));
  }

  #rotate(): void {
    this.#file?.close();
    Deno.renameSync(this.path, `${this.path}.1`);
    this.#open();
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file?.close();
    } catch { /* closed */ }
    this.#file = undefined;
  }
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/**
 * The last `n` lines of the log at `path` (reaching into the rotated `.1` file when needed). With
 * `since` (a {@link logSize} taken earlier), only what was written after it, unless the log rotated.
 */
export function tailLog(path: string, n: number, since?: number): string[] {
  if (n <= 0) return [];
  const text = readOr(path);
  const bytes = new TextEncoder().encode(text);
  if (since !== undefined && since > 0 && since <= bytes.length) {
    return splitLines(new TextDecoder().decode(bytes.subarray(since))).slice(-n);
  }
  const lines = splitLines(text);
  if (lines.length < n) lines.unshift(...splitLines(readOr(`${path}.1`)));
  return lines.slice(-n);
}

/** The log's size in bytes now (0 when it does not exist yet): a mark for {@link tailLog}'s `since`. */
export function logSize(path: string): number {
  return statOrUndefined(path)?.size ?? 0;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * Follows the log at `path` from its current end, calling `onLine` for every new line, until
 * `stop` resolves. A rotation (the file replaced or shorter) starts from the new file's beginning.
 */
export async function followLog(
  path: string,
  onLine: (line: string) => void,
  stop: Promise<unknown>,
  pollMs = 200,
): Promise<void> {
  let stopped = false;
  stop.then(() => (stopped = true), () => (stopped = true));
  let offset = logSize(path);
  let ino = inodeOf(path);
  let pending = "";
  const decoder = new TextDecoder();
  while (!stopped) {
    const size = logSize(path);
    const nowIno = inodeOf(path);
    if (nowIno !== ino || size < offset) {
      ino = nowIno;
      offset = 0;
    }
    if (size > offset) {
      const file = Deno.openSync(path, { read: true });
      try {
        file.seekSync(offset, Deno.SeekMode.Start);
        const buffer = new Uint8Array(size - offset);
        let read = 0;
        while (read < buffer.length) {
          const n = file.readSync(buffer.subarray(read));
          if (n === null || n === 0) break;
          read += n;
        }
        offset += read;
        pending += decoder.decode(buffer.subarray(0, read), { stream: true });
      } finally {
        file.close();
      }
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) onLine(line);
    }
    await Promise.race([new Promise((r) => setTimeout(r, pollMs)), stop]);
  }
  if (pending) onLine(pending);
}

function inodeOf(path: string): number | null {
  return statOrUndefined(path)?.ino ?? null;
}

/**
 * The log path of a detached run: `<dataDir>/logs/<project dir name>-<hash>/<branch>[.<service>].log`,
 * with the branch and service made safe for a file name. Pure.
 */
export function logPathFor(
  dataDir: string,
  project_path: string,
  branch: string,
  service: string,
  hash: (value: string) => string,
): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "").slice(0, 80) || "x";
  const project = safe(project_path.split("/").filter(Boolean).pop() ?? "project");
  const name = service === DEFAULT_SERVICE ? safe(branch) : `${safe(branch)}.${safe(service)}`;
  return `${dataDir}/logs/${project}-${hash(project_path)}/${name}-${hash(branch)}.log`;
}
