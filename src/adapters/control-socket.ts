/**
 * The control socket (issue 15): each wrapper listens on a Unix socket in a private runtime
 * directory (0700, owned by the user), speaking the JSON-lines protocol of
 * `core/control-protocol.ts`. A directory or socket with the wrong owner or mode is refused, by the
 * server and by the client alike; a socket nobody listens on any more (a SIGKILLed wrapper) is stale
 * and removed.
 */
import { ConflictError, NotAnsweringError, PermissionError } from "../errors.ts";
import {
  type ControlReply,
  type ControlRequest,
  MAX_REQUEST_BYTES,
  parseReply,
  parseRequest,
} from "../core/control-protocol.ts";

/** How long a connection may take to send its request before it is closed. */
export const REQUEST_IDLE_MS = 5000;

/**
 * The runtime directory for control sockets: `TREEHOUSE_RUNTIME_DIR`, else
 * `$XDG_RUNTIME_DIR/treehouse`, else `/tmp/treehouse-<uid>`. Not created here.
 */
export function runtimeDir(env: (name: string) => string | undefined, uid: number | null): string {
  const explicit = env("TREEHOUSE_RUNTIME_DIR");
  if (explicit) return explicit.replace(/\/+$/, "");
  const xdg = env("XDG_RUNTIME_DIR");
  if (xdg) return `${xdg.replace(/\/+$/, "")}/treehouse`;
  return `/tmp/treehouse-${uid ?? "user"}`;
}

/** Why a directory or socket is not private to this user, or undefined when it is. */
function notPrivate(path: string, info: Deno.FileInfo, kind: "directory" | "socket"): string | undefined {
  const uid = Deno.uid();
  if (kind === "directory" && (!info.isDirectory || info.isSymlink)) return `${path} is not a directory`;
  if (kind === "socket" && !info.isSocket) return `${path} is not a socket`;
  if (uid !== null && info.uid !== uid) return `${path} is owned by uid ${info.uid}, not by you (uid ${uid})`;
  const mode = (info.mode ?? 0) & 0o777;
  if (mode & 0o022 || (kind === "directory" && mode & 0o077)) {
    return `${path} is open to other users (mode ${mode.toString(8).padStart(3, "0")})`;
  }
  return undefined;
}

function refused(problem: string): PermissionError {
  return new PermissionError(`Refusing the control socket: ${problem}`, {
    hint: "The runtime directory must be yours with mode 0700 (chmod 700 it, or set TREEHOUSE_RUNTIME_DIR)",
  });
}

/**
 * Creates the runtime directory (0700) when missing and checks that it is private: a directory, not
 * a symlink, owned by this user, closed to others. Throws {@link PermissionError} otherwise.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      throw new PermissionError(`Cannot create the runtime directory ${dir}: ${(error as Error).message}`, {
        hint: "Set TREEHOUSE_RUNTIME_DIR to a directory of yours",
        cause: error,
      });
    }
  }
  checkPrivateDir(dir);
}

/** Checks that `dir` is private to this user (see {@link ensurePrivateDir}); throws otherwise. */
export function checkPrivateDir(dir: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(dir);
  } catch (error) {
    throw refused(`${dir} cannot be read: ${(error as Error).message}`);
  }
  const problem = notPrivate(dir, info, "directory");
  if (problem) throw refused(problem);
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash > 0 ? path.slice(0, slash) : "/";
}

/** Whether something answers on the socket at `path` (a refused or missing socket does not). */
export async function socketAnswers(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Removes the socket at `path` when nobody listens on it. Returns whether it was removed. */
export async function removeStaleSocket(path: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return false;
  }
  if (!info.isSocket || await socketAnswers(path)) return false;
  try {
    Deno.removeSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes reply lines to one client. */
export interface ReplyWriter {
  /**
   * Writes one reply line; false when the client is gone (it gave up: a request queued while the
   * wrapper was stopped must not be acted on once it runs again).
   */
  send(reply: ControlReply): Promise<boolean>;
  /** Resolves when the client hung up (for following logs). */
  readonly closed: Promise<void>;
}

/** Handles one valid request; replies through `reply` (at least one line). */
export type ControlHandler = (request: ControlRequest, reply: ReplyWriter) => Promise<void>;

/** A listening control socket. */
export interface ControlServer {
  readonly path: string;
  /** Stops listening, ends open connections and removes the socket file. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * Listens on `path` (its directory made private first). A stale socket there is removed; a live one
 * is a {@link ConflictError}. Malformed, unknown or oversized requests get an error reply; a failing
 * handler too. Nothing a client sends can crash the server.
 */
export async function listenControl(path: string, handler: ControlHandler): Promise<ControlServer> {
  ensurePrivateDir(dirOf(path));
  try {
    Deno.lstatSync(path);
    if (await socketAnswers(path)) {
      throw new ConflictError(`Another process listens on the control socket ${path}`, {
        hint: "Each run has its own socket: stop the other run first",
      });
    }
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const listener = Deno.listen({ transport: "unix", path });
  try {
    Deno.chmodSync(path, 0o600);
  } catch { /* the directory is private anyway */ }
  const connections = new Set<Deno.Conn>();
  let closing = false;
  const serving = (async () => {
    for (;;) {
      let conn: Deno.UnixConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed
      }
      connections.add(conn);
      serveConnection(conn, handler).finally(() => {
        connections.delete(conn);
        closeQuietly(conn);
      });
    }
  })();
  return {
    path,
    async close() {
      if (closing) return;
      closing = true;
      closeQuietly(listener);
      for (const conn of connections) closeQuietly(conn);
      await serving;
      try {
        Deno.removeSync(path);
      } catch { /* removed with the listener */ }
    },
  };
}

async function serveConnection(conn: Deno.Conn, handler: ControlHandler): Promise<void> {
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  let broken = false;
  const reply: ReplyWriter = {
    closed,
    async send(value) {
      if (broken) return false;
      try {
        await writeAll(conn, encoder.encode(`${JSON.stringify(value)}\n`));
        return true;
      } catch {
        broken = true;
        closedResolve();
        return false;
      }
    },
  };
  const line = await readRequestLine(conn);
  if (line.error) {
    await reply.send({ ok: false, error: line.error });
    return;
  }
  const parsed = parseRequest(line.text);
  if (!parsed.ok) {
    await reply.send({ ok: false, error: parsed.error });
    return;
  }
  // After the request, a read that ends means the client hung up (a follower pressing Ctrl-C).
  (async () => {
    const sink = new Uint8Array(256);
    try {
      while ((await conn.read(sink)) !== null) { /* ignore anything after the request */ }
    } catch { /* reset */ }
    closedResolve();
  })();
  try {
    await handler(parsed.request, reply);
  } catch (error) {
    await reply.send({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}

/** Reads up to the first newline, at most {@link MAX_REQUEST_BYTES}, within {@link REQUEST_IDLE_MS}. */
async function readRequestLine(conn: Deno.Conn): Promise<{ text: string; error?: string }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buffer = new Uint8Array(1024);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), REQUEST_IDLE_MS)));
  try {
    for (;;) {
      const n = await Promise.race([conn.read(buffer), timeout]).catch(() => null);
      if (n === "timeout") return { text: "", error: "no request within 5s" };
      if (n === null) return { text: "", error: "connection closed before a full request line" };
      const chunk = buffer.slice(0, n);
      const newline = chunk.indexOf(10);
      chunks.push(newline >= 0 ? chunk.subarray(0, newline) : chunk);
      size += newline >= 0 ? newline : n;
      if (size > MAX_REQUEST_BYTES) {
        return { text: "", error: `request too large (limit ${MAX_REQUEST_BYTES} bytes)` };
      }
      if (newline >= 0) break;
    }
  } finally {
    clearTimeout(timer);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  return { text: new TextDecoder().decode(all) };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let rest = bytes;
  while (rest.length > 0) rest = rest.subarray(await conn.write(rest));
}

/** Closes a connection or listener that may be closed already. */
function closeQuietly(closer: { close(): void }): void {
  try {
    closer.close();
  } catch { /* closed already */ }
}

/** Yields the text `conn` sends, read by read, until it ends (a failed read ends it too). */
async function* textFrom(conn: Deno.Conn, bufferSize: number): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(bufferSize);
  for (;;) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch {
      n = null;
    }
    if (n === null) return;
    yield decoder.decode(buffer.subarray(0, n), { stream: true });
  }
}

/**
 * Connects to the control socket at `path` after checking that its directory and the socket itself
 * are private to this user. Throws {@link PermissionError} for a refused socket, and the connect
 * error (NotFound, ConnectionRefused) otherwise.
 */
export async function connectControl(path: string): Promise<Deno.UnixConn> {
  checkPrivateDir(dirOf(path));
  const info = Deno.lstatSync(path);
  const problem = notPrivate(path, info, "socket");
  if (problem) throw refused(problem);
  return await Deno.connect({ transport: "unix", path });
}

/**
 * How long a wrapper may take to send its first reply line before it counts as not answering. A
 * SIGSTOPped wrapper's socket still accepts connections (the kernel queues them), so only a reply
 * tells a live wrapper; generous because the machine may be loaded.
 */
export const ANSWER_TIMEOUT_MS = 2000;

/** Options of {@link controlExchange}. */
export interface ExchangeOptions {
  /** Ends the exchange early (Ctrl-C of `logs -f`). */
  signal?: AbortSignal;
  /**
   * Throw {@link NotAnsweringError} when no reply line came within this many milliseconds of the
   * connect (default: wait as long as it takes).
   */
  firstReplyMs?: number;
}

/**
 * Sends `request` and yields every reply line until the wrapper closes the connection (or
 * `signal` aborts). Invalid reply lines are skipped.
 */
export async function* controlExchange(
  path: string,
  request: ControlRequest,
  options: ExchangeOptions = {},
): AsyncGenerator<ControlReply> {
  const { signal, firstReplyMs } = options;
  // A stopped wrapper's socket still accepts (the kernel queues the connection) and takes a short
  // request into its buffer: only the reply can be late, so the deadline starts once the request is sent.
  // AbortSignal.timeout rather than setTimeout: a process's first setTimeout costs Deno 5-20 ms (`status`
  // and `restart` pay it on their critical path), the signal well under 1 ms; it is unref'd, the pending
  // read keeps the process up until it fires.
  const conn = await connectControl(path);
  let timedOut = false;
  const abort = () => closeQuietly(conn);
  const late = () => {
    timedOut = true;
    abort();
  };
  let deadline: AbortSignal | undefined;
  signal?.addEventListener("abort", abort, { once: true });
  try {
    await writeAll(conn, encoder.encode(`${JSON.stringify(request)}\n`));
    if (firstReplyMs !== undefined) {
      deadline = AbortSignal.timeout(firstReplyMs);
      deadline.addEventListener("abort", late, { once: true });
    }
    let pending = "";
    for await (const text of textFrom(conn, 16 * 1024)) {
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const reply = parseReply(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        deadline?.removeEventListener("abort", late);
        if (reply) yield reply;
      }
    }
    if (timedOut) throw notAnswering(path, firstReplyMs ?? 0);
  } finally {
    deadline?.removeEventListener("abort", late);
    signal?.removeEventListener("abort", abort);
    abort();
  }
}

function notAnswering(path: string, ms: number): NotAnsweringError {
  return new NotAnsweringError(
    `The wrapper does not answer its control socket ${path} within ${ms / 1000}s`,
    {
      hint: "It may be stopped (kill -CONT PID) or wedged (kill -9 PID: its watchdog ends the server)",
    },
  );
}

/**
 * Sends `request` and returns the first reply (a connection that closes without one: an error reply);
 * throws {@link NotAnsweringError} when none comes within `firstReplyMs`.
 */
export async function controlRequest(
  path: string,
  request: ControlRequest,
  firstReplyMs?: number,
): Promise<ControlReply> {
  for await (const reply of controlExchange(path, request, { firstReplyMs })) return reply;
  return { ok: false, error: "the wrapper closed the connection without a reply" };
}

/** Sends raw bytes (tests of malformed and oversized requests) and returns the reply text. */
export async function rawControlRequest(path: string, bytes: Uint8Array): Promise<string> {
  const conn = await connectControl(path);
  try {
    try {
      await writeAll(conn, bytes);
    } catch { /* the server may close early on an oversized request */ }
    let text = "";
    for await (const chunk of textFrom(conn, 4096)) {
      text += chunk;
      if (text.includes("\n")) break;
    }
    return text;
  } finally {
    closeQuietly(conn);
  }
}
