/**
 * The SQLite registry: one file shared by every treehouse process of the user. Opening validates the
 * file before anything is written; every write is one short `BEGIN IMMEDIATE` transaction.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { ReadOnlyRegistryError, RegistryError } from "../errors.ts";
import { type GiveUp, LockWait } from "./lock-wait.ts";
import { registryLockHolder } from "../adapters/proc/locks.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.ts";
import { type Connected, CONNECTION } from "./connection.ts";

/**
 * SQLite's own busy timeout on the connection. SQLite's default busy handler sleeps in growing
 * steps (up to 100 ms) and so leaves the lock idle under contention; treehouse waits itself (see
 * {@link LockWait}): short pauses first, long random ones while others are served, and it gives up only
 * when nobody commits for a while, naming the holder.
 */
export const CONNECTION_BUSY_MS = 0;
const SQLITE_MAGIC = "SQLite format 3\0";

/** Options for {@link Registry.open}. */
export interface OpenOptions {
  /** Create the file (and its directory) when missing. Default true. */
  create?: boolean;
}

/** An open registry. Close it when done; it is also closed when the process exits. */
export class Registry implements Connected {
  readonly path: string;
  /** The connection: the registry's own modules reach it through `connection()` (./connection.ts). */
  readonly #db: DatabaseSync;
  #dataVersion: StatementSync | undefined;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = reusingStatements(db);
  }

  /**
   * Opens (and on first use creates) the registry at `path`. A file that is not SQLite, corrupt,
   * from a newer treehouse or not writable raises a {@link RegistryError} and is left untouched.
   */
  static open(path: string, options: OpenOptions = {}): Registry {
    const registry = Registry.openIfExists(path, options.create ?? true);
    if (!registry) {
      throw new RegistryError(`No registry at ${path}`, {
        hint: "Run any allocating command (treehouse ip) or `treehouse port init` to create it",
      });
    }
    return registry;
  }

  /**
   * Opens the registry at `path`, or returns `undefined` when there is no file (and `create` is
   * false, the default here): for commands that only read or remove and must never create one.
   */
  static openIfExists(path: string, create = false): Registry | undefined {
    if (!checkExistingFile(path)) {
      if (!create) return undefined;
      createFile(path);
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: CONNECTION_BUSY_MS });
    } catch (error) {
      throw registryError(error, path);
    }
    const registry = new Registry(path, db);
    try {
      registry.prepare();
    } catch (error) {
      try {
        db.close();
      } catch { /* already failing */ }
      throw error instanceof RegistryError ? error : registryError(error, path);
    }
    return registry;
  }

  /** The connection, for the registry's modules (see ./connection.ts). */
  [CONNECTION](): DatabaseSync {
    return this.#db;
  }

  /** SQLite's `PRAGMA quick_check` verdict: "ok", or what is damaged. */
  quickCheck(): string {
    return this.read(() => {
      const row = this.#db.prepare("PRAGMA quick_check").get() as Record<string, unknown> | undefined;
      return String(Object.values(row ?? {})[0] ?? "");
    });
  }

  /**
   * Closes the database handle. Safe to call twice.
   *
   * The last connection to close checkpoints the WAL into the database under an exclusive lock on the
   * database file and syncs both files while holding it: every other process's read (and so its write)
   * waits meanwhile, and a loaded disk can hold an fsync for seconds (an ending `run` wrapper once
   * locked a second `treehouse run` out for 10 s). `checkpointFirst` checkpoints passively before, with
   * the WAL index's checkpoint lock only (readers and writers do not need it), so the close finds
   * nothing to copy or sync. Not for every process: with others connected, the checkpointed WAL starts
   * afresh on their next write, which then syncs under the write lock (and asking the kernel whether
   * others are connected, `/proc/locks`, costs ~10 ms): long-lived processes ask for it as they end.
   */
  close(options: { checkpointFirst?: boolean } = {}): void {
    try {
      if (!this.#db.isOpen) return;
      if (options.checkpointFirst) {
        try {
          this.#db.exec("PRAGMA wal_checkpoint(PASSIVE)");
        } catch { /* busy or failing: the close checkpoints as before */ }
      }
      this.#db.close();
    } catch { /* nothing left to do */ }
  }

  /**
   * Runs `fn` inside one `BEGIN IMMEDIATE` transaction, waiting (see {@link LockWait}) while another
   * process holds the write lock. `fn` must not do slow I/O.
   */
  write<T>(fn: () => T): T {
    const wait = this.lockWait();
    for (;;) {
      try {
        this.retryBusy(() => this.#db.exec("BEGIN IMMEDIATE"), wait);
      } catch (error) {
        throw registryError(error, this.path);
      }
      try {
        const result = fn();
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        try {
          this.#db.exec("ROLLBACK");
        } catch { /* the transaction may already be gone */ }
        if (isBusy(error)) {
          const giveUp = wait.pause();
          if (!giveUp) continue;
          throw this.lockedError(error, giveUp);
        }
        if (isSqliteError(error)) throw registryError(error, this.path);
        throw error;
      }
    }
  }

  /** Runs a read query, mapping SQLite failures to {@link RegistryError}. */
  read<T>(fn: () => T): T {
    try {
      return this.retryBusy(fn);
    } catch (error) {
      if (isSqliteError(error)) throw registryError(error, this.path);
      throw error;
    }
  }

  /** A wait for the lock whose progress is SQLite's data version (it changes with every commit of others). */
  private lockWait(): LockWait {
    return new LockWait(
      () => {
        this.#dataVersion ??= this.#db.prepare("PRAGMA data_version");
        return (this.#dataVersion.get() as { data_version?: number } | undefined)?.data_version;
      },
      Date.now,
      // SQLite syncs the WAL under the write lock when it starts it afresh: a loaded disk takes its time.
      () => registryLockHolder(this.path, Deno.pid)?.state === "D",
    );
  }

  /** Runs `fn`, waiting while SQLite reports the database busy; gives up as {@link LockWait} decides. */
  private retryBusy<T>(fn: () => T, wait = this.lockWait()): T {
    for (;;) {
      try {
        return fn();
      } catch (error) {
        if (!isBusy(error)) throw error;
        const giveUp = wait.pause();
        if (giveUp) throw this.lockedError(error, giveUp);
      }
    }
  }

  /** The error for a wait given up: names the process holding the lock where the kernel says. */
  private lockedError(cause: unknown, giveUp: GiveUp): RegistryError {
    const holder = registryLockHolder(this.path, Deno.pid);
    const about = holder && [holder.command, holder.stateWords].filter(Boolean).join("; ");
    const who = holder
      ? `process ${holder.pid}${about ? ` (${about})` : ""}, which holds ${holder.role}`
      : "another process";
    const seconds = Math.round(giveUp.waitedMs / 1000);
    const how = giveUp.kind === "stalled"
      ? `stayed locked by ${who}: nothing was written for ${seconds} s`
      : `was busy for ${seconds} s (locked by ${who}, when treehouse gave up)`;
    return new RegistryError(`Registry ${this.path} ${how}`, {
      hint: holder
        ? `If process ${holder.pid} is hung, stop it (kill ${holder.pid}); otherwise try again`
        : "Try again; if it persists, look for a hung treehouse process (ps aux | grep treehouse)",
      cause,
    });
  }

  private prepare(): void {
    const version = this.retryBusy(() => this.userVersion());
    if (version > SCHEMA_VERSION) {
      throw new RegistryError(
        `Registry ${this.path} was written by a newer treehouse (schema ${version}, this one knows ${SCHEMA_VERSION})`,
        {
          hint: "Upgrade treehouse, or point TREEHOUSE_DB at another file",
          fix: "upgrade treehouse (README: Install), or: export TREEHOUSE_DB=<another file>",
        },
      );
    }
    this.retryBusy(() => {
      const mode = this.#db.prepare("PRAGMA journal_mode").get() as { journal_mode?: string } | undefined;
      if (mode?.journal_mode !== "wal") this.#db.exec("PRAGMA journal_mode = WAL");
      this.#db.exec("PRAGMA synchronous = NORMAL");
      this.#db.prepare("SELECT count(*) FROM sqlite_master").get(); // reads the schema: catches a trashed header page
    });
    if (version < SCHEMA_VERSION) this.migrate();
  }

  private userVersion(): number {
    const row = this.#db.prepare("PRAGMA user_version").get() as { user_version?: number } | undefined;
    return Number(row?.user_version ?? 0);
  }

  private migrate(): void {
    this.write(() => {
      const current = this.userVersion();
      if (current > SCHEMA_VERSION) throw new RegistryError(`Registry ${this.path} was upgraded meanwhile`);
      for (let v = current; v < SCHEMA_VERSION; v++) {
        const sql = MIGRATIONS[v];
        if (sql) this.#db.exec(sql);
      }
      this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    });
  }
}

/**
 * Makes `db.prepare` hand back one statement per SQL text for the connection's lifetime. A
 * node:sqlite statement holds ~8 KiB of native memory that garbage collection does not reclaim
 * promptly (V8 does not see it), so a long-lived connection that queries every 500 ms (the
 * dashboard, `list --watch`) grew by megabytes an hour. The statements are finalized on close.
 */
function reusingStatements(db: DatabaseSync): DatabaseSync {
  const cache = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  const prepare = db.prepare.bind(db);
  db.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  return db;
}

/** Returns whether the file exists; throws when it exists but is not a SQLite database. */
function checkExistingFile(path: string): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new RegistryError(`Cannot read the registry ${path}: permission denied`, {
        hint: `Fix its owner or mode (chmod 600 ${path}), or set TREEHOUSE_DB to another file`,
        fix: `chmod 600 ${path}`,
        cause: error,
      });
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new RegistryError(`Registry path ${path} is a directory`, {
        hint: "Point TREEHOUSE_DB or --db at a file, e.g. <dir>/registry.db",
        fix: `export TREEHOUSE_DB=${path.replace(/\/+$/, "")}/registry.db`,
      });
    }
    throw registryError(error, path);
  }
  try {
    const header = new Uint8Array(16);
    const n = file.readSync(header) ?? 0;
    if (n === 0) return true; // empty file: SQLite treats it as a new database
    if (n < 16 || new TextDecoder().decode(header) !== SQLITE_MAGIC) {
      throw new RegistryError(`${path} is not a treehouse registry (not a SQLite database)`, {
        hint: "Move the file away or set TREEHOUSE_DB to another path; treehouse did not change it",
      });
    }
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.IsADirectory) {
      throw new RegistryError(`Registry path ${path} is a directory`, {
        hint: "Point TREEHOUSE_DB or --db at a file, e.g. <dir>/registry.db",
        fix: `export TREEHOUSE_DB=${path.replace(/\/+$/, "")}/registry.db`,
      });
    }
    throw error;
  } finally {
    file.close();
  }
}

/** Creates the registry's directory (0700) and an empty file (0600). */
function createFile(path: string): void {
  const slash = path.lastIndexOf("/");
  const dir = slash > 0 ? path.slice(0, slash) : ".";
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      throw new RegistryError(`Cannot create the registry directory ${dir}: ${describe(error)}`, {
        hint: "Create it yourself or set TREEHOUSE_DB to a writable path",
        cause: error,
      });
    }
  }
  try {
    Deno.openSync(path, { createNew: true, write: true, mode: 0o600 }).close();
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return; // another process created it first
    throw new RegistryError(`Cannot create the registry ${path}: ${describe(error)}`, {
      hint: "Check the directory's permissions or set TREEHOUSE_DB to a writable path",
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown; errstr?: unknown }).code;
  const errstr = (error as { errstr?: unknown }).errstr;
  return `${error.message} ${typeof code === "string" ? code : ""} ${
    typeof errstr === "string" ? errstr : ""
  }`;
}

/** True when SQLite reported a lock held by someone else (the code is sometimes empty: match the text). */
export function isBusy(error: unknown): boolean {
  return /SQLITE_BUSY|database is locked|database is busy|SQLITE_LOCKED/i.test(errorText(error));
}

function isSqliteError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === "ERR_SQLITE_ERROR" ||
    /sqlite|database|disk image|readonly|no such table/i.test(errorText(error));
}

/**
 * Runs `fn` on the connection with SQLite waiting at most `busyMs` for another writer's lock, then
 * restores the connection's usual wait: `"busy"` when the wait ran out (a heartbeat skips that beat
 * rather than stall its wrapper, which must stay free to forward signals); any other failure is a
 * {@link RegistryError}.
 */
export function withBusyWait<T>(
  registry: Registry,
  busyMs: number,
  fn: (db: DatabaseSync) => T,
): T | "busy" {
  const db = registry[CONNECTION]();
  try {
    db.exec(`PRAGMA busy_timeout = ${busyMs}`);
    return fn(db);
  } catch (error) {
    if (isBusy(error)) return "busy";
    throw registryError(error, registry.path);
  } finally {
    try {
      db.exec(`PRAGMA busy_timeout = ${CONNECTION_BUSY_MS}`);
    } catch { /* the connection is closing */ }
  }
}

/** Maps a SQLite failure to a one-line {@link RegistryError} naming the path and what to do. */
export function registryError(error: unknown, path: string): RegistryError {
  if (error instanceof RegistryError) return error;
  const text = errorText(error);
  const untouched = "treehouse did not change it";
  if (/readonly|read-only|attempt to write/i.test(text)) {
    return new ReadOnlyRegistryError(`Registry ${path} cannot be written (read-only)`, {
      hint: `Make it writable (chmod u+w ${path} and its directory) or set TREEHOUSE_DB to another file`,
      fix: `chmod u+w ${path} ${path.slice(0, path.lastIndexOf("/")) || "/"}`,
      cause: error,
    });
  }
  if (/malformed|corrupt|not a database|file is encrypted/i.test(text)) {
    return new RegistryError(`Registry ${path} is corrupt`, {
      hint: `Move it away (mv ${path} ${path}.bak) and run again to start a fresh one; ${untouched}`,
      fix: `mv ${path} ${path}.bak`,
      cause: error,
    });
  }
  if (isBusy(error)) {
    return new RegistryError(`Registry ${path} stayed locked by another process`, {
      hint: "Try again; if it persists, look for a hung treehouse process (ps aux | grep treehouse)",
      cause: error,
    });
  }
  if (/unable to open|cannot open|disk I\/O/i.test(text)) {
    return new RegistryError(`Cannot open the registry ${path}`, {
      hint: "Check that its directory exists and is writable, or set TREEHOUSE_DB to another file",
      cause: error,
    });
  }
  return new RegistryError(`Registry ${path} failed: ${error instanceof Error ? error.message : text}`, {
    cause: error,
  });
}
