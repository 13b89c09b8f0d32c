/**
 * The rules of the local CA and its leaf certificates, pure: how long they last, which names a
 * branch's certificate carries, and when a cached one must be issued again.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** CA lifetime: ten years, so trust is installed once per machine. */
export const CA_VALIDITY_DAYS = 3650;
/** Leaf lifetime: 825 days, the longest Apple platforms accept for a TLS server certificate. */
export const LEAF_VALIDITY_DAYS = 825;
/** A cached leaf with less than this left is issued again. */
export const LEAF_RENEW_BEFORE_DAYS = 30;
/** Certificates start an hour in the past, for clocks that are a little behind. */
export const BACKDATE_MS = 60 * 60 * 1000;
/** The CA's common name; trust stores list it under this name (starting with `treehouse`). */
export const CA_COMMON_NAME = "treehouse local CA";

/** The validity window of a new certificate made at `now`. */
export function validity(now: number, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** The names and addresses of a branch's leaf certificate. */
export interface LeafNames {
  readonly dnsNames: string[];
  readonly ips: string[];
}

/**
 * A branch's leaf names: its hostname (as the template makes it), `<label>.local`, its IPv4 address
 * and its IPv6 name address (when it has one). Duplicates dropped, order kept (the first is the CN).
 */
export function leafNames(
  host: string,
  label: string,
  ip: string,
  ipv6?: string,
): LeafNames {
  const dnsNames = [...new Set([host.toLowerCase(), `${label.toLowerCase()}.local`])];
  const ips = [...new Set([ip, ...(ipv6 ? [ipv6] : [])])];
  return { dnsNames, ips };
}

/** What the leaf cache remembers about a certificate it holds (its `.json` file). */
export interface LeafRecord {
  readonly dnsNames: string[];
  readonly ips: string[];
  /** Epoch ms. */
  readonly notAfter: number;
  /** SHA-256 (hex) of the CA certificate file that signed it. */
  readonly caSha256: string;
}

/**
 * Why a cached leaf cannot be used, or `undefined` when it can: none cached, another CA, other
 * names, or less than {@link LEAF_RENEW_BEFORE_DAYS} left.
 */
export function leafStaleReason(
  record: LeafRecord | undefined,
  wanted: LeafNames,
  caSha256: string,
  now: number,
): string | undefined {
  if (!record) return "none cached";
  if (record.caSha256 !== caSha256) return "signed by another CA";
  if (!sameSet(record.dnsNames, wanted.dnsNames) || !sameSet(record.ips, wanted.ips)) {
    return "the names changed";
  }
  if (record.notAfter - now < LEAF_RENEW_BEFORE_DAYS * DAY_MS) return "expires soon";
  return undefined;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a.map((x) => x.toLowerCase()));
  const sb = new Set(b.map((x) => x.toLowerCase()));
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Parses a leaf record read back from disk; `undefined` when it is not one. */
export function parseLeafRecord(value: unknown): LeafRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === "string");
  if (!strings(v.dnsNames) || !strings(v.ips)) return undefined;
  if (typeof v.notAfter !== "number" || typeof v.caSha256 !== "string") return undefined;
  return {
    dnsNames: v.dnsNames as string[],
    ips: v.ips as string[],
    notAfter: v.notAfter,
    caSha256: v.caSha256,
  };
}

/** The file stem of a host's cached leaf: the name with anything unsafe for a file name replaced. */
export function leafStem(host: string): string {
  return host.toLowerCase().replace(/[^a-z0-9.-]/g, "_").replace(/^\.+/, "_");
}
