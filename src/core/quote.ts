/** Safe quoting of values for POSIX shells, fish and dotenv files. Pure. */

/** Quotes a value for POSIX shells: single quotes, with `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A word for a POSIX shell command line: as it is when it needs no quoting, else {@link shellQuote}d. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : shellQuote(value);
}

/** Quotes a value for fish: single quotes, escaping `\` and `'`. */
export function fishQuote(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/**
 * Quotes a value for dotenv files: double quotes with `\`, `"`, `$` and newlines escaped, so
 * dotenv readers and direnv's `dotenv` never expand anything.
 */
export function dotenvQuote(value: string): string {
  return `"${
    value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("$", "\\$").replaceAll("`", "\\`")
      .replaceAll("\n", "\\n")
  }"`;
}
