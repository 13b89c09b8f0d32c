/**
 * The database engine interface the db service drives. PostgreSQL fills it (`./client.ts`); a second
 * engine (MySQL/MariaDB) would fill the same calls. Engines report failures as {@link EngineError}
 * with a kind the service turns into a user-facing error naming the server.
 */
import type { ServerSpec } from "../../core/database-url.ts";

/** What went wrong, independent of the engine. */
export type EngineErrorKind =
  /** Nothing answers at the address, or the connection timed out. */
  | "unreachable"
  /** Wrong password, unknown role, no pg_hba entry. */
  | "auth"
  /** The role may not create or drop databases. */
  | "permission"
  /** The template has other sessions (PostgreSQL's "being accessed by other users"). */
  | "busy"
  /** The database to create already exists. */
  | "exists"
  /** The database named does not exist. */
  | "missing"
  /** A tool the copy needs (pg_dump, pg_restore) is not installed. */
  | "tool"
  /** Anything else the server or a tool reported. */
  | "other";

/** A failure reported by an engine. `message` is the server's or tool's text (may hold no password). */
export class EngineError extends Error {
  readonly kind: EngineErrorKind;
  constructor(kind: EngineErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.kind = kind;
  }
}

/** Progress of a copy through dump and restore: bytes of dump passed so far. */
export type CopyProgress = (bytes: number) => void;

/** An administrative session on one server (connected to its maintenance database). */
export interface EngineSession {
  /** Whether a database of that name exists. */
  exists(name: string): Promise<boolean>;
  /** Which of the named databases exist (one query). */
  existing(names: readonly string[]): Promise<Set<string>>;
  /** Sizes in bytes of the named databases that exist. */
  sizes(names: readonly string[]): Promise<Map<string, number>>;
  /** Creates an empty database. */
  createEmpty(name: string): Promise<void>;
  /** Copies `template` into a new database `name` on the server (fast, needs no other session on it). */
  createFromTemplate(name: string, template: string): Promise<void>;
  /** Creates `name` and copies `template` into it through dump and restore (works while it is in use). */
  copyWithDump(name: string, template: string, onProgress?: CopyProgress): Promise<void>;
  /** How many other sessions are connected to `name`. */
  otherSessions(name: string): Promise<number>;
  /** Ends the other sessions connected to `name`; returns how many were ended. */
  terminateSessions(name: string): Promise<number>;
  /** Drops `name` if it exists; `force` ends its sessions first. */
  drop(name: string, options?: { force?: boolean }): Promise<void>;
  /**
   * Takes a server-wide lock named `key` (waiting for it; `onWait` is called once when it is held by
   * someone else). Released by the returned function, or when the session ends (a killed process).
   */
  lock(key: string, onWait?: () => void): Promise<() => Promise<void>>;
  /** Ends the session. */
  close(): Promise<void>;
}

/** An engine: opens sessions on a server. */
export interface DatabaseEngine {
  /** Human name for messages: `PostgreSQL`. */
  readonly label: string;
  connect(server: ServerSpec): Promise<EngineSession>;
}
