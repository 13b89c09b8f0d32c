/**
 * The script assertions of `treehouse port` (`assert-reservation`, `assert-port`, `assert-data-dir`) and
 * `init`. An assertion returns why it failed, or undefined when it holds; none creates a registry.
 */
import { statable as exists } from "../../adapters/paths.ts";
import { findByPort, findReservation } from "../../registry/reservations.ts";
import { Registry } from "../../registry/registry.ts";
import { holderName } from "./reserve.ts";

/** Runs `fn` on the registry at `dbPath` if it exists (never creating it). */
function withExisting<T>(dbPath: string, fn: (registry: Registry) => T): T | undefined {
  if (!exists(dbPath)) return undefined;
  const registry = Registry.open(dbPath, { create: false });
  try {
    return fn(registry);
  } finally {
    registry.close();
  }
}

/** `assert-reservation`: (path, tag) is reserved (on `port`, if given). */
export function reservationFailure(
  dbPath: string,
  path: string,
  tag: string | null,
  port?: number,
): string | undefined {
  const r = withExisting(dbPath, (registry) => registry.read(() => findReservation(registry, path, tag)));
  if (!r) return `No reservation for ${holderName({ path, tag })}`;
  if (port !== undefined && r.port !== port) return `${holderName(r)} holds port ${r.port}, not ${port}`;
  return undefined;
}

/** `assert-port PORT`: PORT is reserved (by `holder`, if given). */
export function portFailure(
  dbPath: string,
  port: number,
  holder?: { path: string; tag: string | null },
): string | undefined {
  const r = withExisting(dbPath, (registry) => registry.read(() => findByPort(registry, port)));
  if (!r) return `Port ${port} is not reserved`;
  if (holder && (r.path !== holder.path || r.tag !== holder.tag)) {
    return `Port ${port} is reserved by ${holderName(r)}`;
  }
  return undefined;
}

/** `assert-data-dir [--validate]`: the registry exists (and, validated, is sound). */
export function dataDirFailure(dbPath: string, validate: boolean): string | undefined {
  if (!exists(dbPath)) return `No registry at ${dbPath}`;
  if (!validate) return undefined;
  try {
    const check = withExisting(dbPath, (registry) => registry.quickCheck());
    if (check !== "ok") return `Registry ${dbPath} failed its integrity check: ${check}`;
  } catch (error) {
    return `Registry ${dbPath} is unusable: ${(error as Error).message}`;
  }
  return undefined;
}

/** `init`: creates the registry (idempotent); whether it existed before. */
export function initRegistry(dbPath: string): boolean {
  const existed = exists(dbPath);
  Registry.open(dbPath).close();
  return existed;
}
