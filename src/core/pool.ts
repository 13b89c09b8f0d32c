/**
 * The IP pool: parsing `127.0.0.10-127.0.0.99`, converting addresses, choosing the lowest free one.
 * Pure: callers pass in what is taken.
 */
import { UsageError } from "../errors.ts";

/** The default pool: 90 addresses, 127.0.0.10 to 127.0.0.99. */
export const DEFAULT_POOL = "127.0.0.10-127.0.0.99";

/** An inclusive range of IPv4 addresses, as 32-bit integers. */
export interface Pool {
  first: number;
  last: number;
}

/** Parses a dotted IPv4 address into an unsigned 32-bit integer, or `undefined` when invalid. */
export function ipToInt(ip: string): number | undefined {
  const parts = ip.trim().split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** Formats an unsigned 32-bit integer as a dotted IPv4 address. */
export function intToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/**
 * Parses a pool such as `127.0.0.10-127.0.0.40` (or a single address). Both ends must be loopback
 * addresses (127.0.0.0/8) and the first must not be after the last.
 */
export function parsePool(text: string, source = "TREEHOUSE_POOL"): Pool {
  const hint = `Use a loopback range such as ${DEFAULT_POOL}`;
  const [a, b, ...rest] = text.split("-");
  if (a === undefined || rest.length > 0) {
    throw new UsageError(`Invalid pool in ${source}: "${text}"`, { hint });
  }
  const first = ipToInt(a);
  const last = b === undefined ? first : ipToInt(b);
  if (first === undefined || last === undefined) {
    throw new UsageError(`Invalid pool in ${source}: "${text}" is not an IPv4 range`, { hint });
  }
  if (first >>> 24 !== 127 || last >>> 24 !== 127) {
    throw new UsageError(`Invalid pool in ${source}: "${text}" is not inside 127.0.0.0/8`, { hint });
  }
  if (first > last) {
    throw new UsageError(`Invalid pool in ${source}: "${text}" starts after it ends`, { hint });
  }
  if ((first & 255) === 0 || (last & 255) === 255) {
    throw new UsageError(`Invalid pool in ${source}: "${text}" includes a network or broadcast address`, {
      hint,
    });
  }
  return { first, last };
}

/** Number of addresses in the pool. */
export function poolSize(pool: Pool): number {
  return pool.last - pool.first + 1;
}

/** Formats a pool back to `first-last`. */
export function formatPool(pool: Pool): string {
  return `${intToIp(pool.first)}-${intToIp(pool.last)}`;
}

/** The lowest address of the pool not in `taken`, or `undefined` when the pool is full. */
export function lowestFreeIp(pool: Pool, taken: Iterable<string>): string | undefined {
  const used = new Set<number>();
  for (const ip of taken) {
    const n = ipToInt(ip);
    if (n !== undefined) used.add(n);
  }
  for (let n = pool.first; n <= pool.last; n++) {
    if (!used.has(n)) return intToIp(n);
  }
  return undefined;
}

/** Every IP of the pool. */
export function poolIps(pool: Pool): string[] {
  const ips: string[] = [];
  for (let n = pool.first; n <= pool.last; n++) ips.push(intToIp(n));
  return ips;
}
