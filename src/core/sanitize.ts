/**
 * Pure name rules: DNS labels for hostnames and PostgreSQL identifiers for database names.
 * No I/O here; every function is deterministic for its input.
 */
import { shortHash } from "./hash.ts";

/** Longest DNS label (RFC 1035). */
export const MAX_LABEL = 63;
/** PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1). */
export const MAX_DB_NAME = 63;

/**
 * Turns a branch name into a DNS label: `/` → `-`, drop everything but `[a-zA-Z0-9-]`, lowercase,
 * trim `-`, cut at 63 and trim again. Returns "" when nothing usable is left.
 */
export function sanitizeLabel(branch: string): string {
  const cleaned = branch
    .replaceAll("/", "-")
    .replace(/[^a-zA-Z0-9-]/g, "")
    .toLowerCase();
  return trimDashes(trimDashes(cleaned).slice(0, MAX_LABEL));
}

/**
 * The hostname label for a branch: its sanitized label, or `branch-<hash>` when the name has no
 * usable character at all (`!!!`, `日本語`), so every branch gets a stable, valid label.
 */
export function labelForBranch(branch: string): string {
  return sanitizeLabel(branch) || `branch-${shortHash(branch)}`;
}

/** Joins label parts with `-` and keeps the result a valid label, cutting with a hash if needed. */
export function joinLabel(base: string, suffix: string): string {
  const full = trimDashes(`${base}-${suffix}`);
  return fitLabel(full);
}

/** Cuts a label to 63 characters, ending it with a short hash of the full value when cut. */
export function fitLabel(label: string): string {
  if (label.length <= MAX_LABEL) return label;
  const hash = shortHash(label);
  return `${trimDashes(label.slice(0, MAX_LABEL - hash.length - 1))}-${hash}`;
}

/** True when `label` is a valid DNS label as treehouse produces them. */
export function isValidLabel(label: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label);
}

/** Lowercases and turns every character outside `[a-z0-9]` into `_`. */
export function identifierPart(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, "_");
}

/**
 * The database name `<app>_dev_<branch>`, at most 63 bytes; a cut name ends with `_<hash>` of the
 * full name so two long branches never share a database. A branch with characters outside ASCII
 * gets `_<hash>` of the branch too: each becomes `_`, so `日本語` and `中文字` would share `app_dev____`.
 */
export function databaseName(app: string, branch: string): string {
  const lossy = /[\u0080-\uffff]/.test(branch); // any non-ASCII code unit (surrogates included)
  const full = `${identifierPart(app) || "app"}_dev_${identifierPart(branch)}${
    lossy ? `_${shortHash(branch)}` : ""
  }`;
  if (full.length <= MAX_DB_NAME) return full;
  const hash = shortHash(full);
  return `${full.slice(0, MAX_DB_NAME - hash.length - 1)}_${hash}`;
}

function trimDashes(value: string): string {
  return value.replace(/^-+/, "").replace(/-+$/, "");
}
