/**
 * The registry's SQLite connection, for the registry's own modules only: `Registry` keeps it in a
 * private field and hands it out through {@link CONNECTION}. Nothing outside `src/registry` may import
 * this file (tests/architecture.test.ts), so every query stays a registry function.
 */
import type { DatabaseSync } from "node:sqlite";

/** The key of the method through which a `Registry` hands its connection to the registry modules. */
export const CONNECTION: unique symbol = Symbol("treehouse registry connection");

/** What {@link connection} reads: an open `Registry`. */
export interface Connected {
  [CONNECTION](): DatabaseSync;
}

/** The registry's connection (its `prepare` reuses one statement per SQL text). */
export function connection(registry: Connected): DatabaseSync {
  return registry[CONNECTION]();
}
