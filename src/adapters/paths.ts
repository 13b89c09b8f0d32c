/**
 * Reservation paths: absolute, `~` expanded, `.`/`..` folded, symlinks followed as far as the path
 * exists (a path that does not exist yet is normalized without failing), and how two paths relate.
 */

/** How path `a` relates to path `b`. */
export type Relation = "same" | "ancestor" | "descendant" | "unrelated";

/**
 * Lexical normalization (pure): expands a leading `~` with `home`, resolves against `cwd`, folds
 * `.`, `..` and repeated slashes, drops a trailing slash. Idempotent.
 */
export function normalizeLexical(path: string, cwd: string, home?: string): string {
  let p = path;
  if (home !== undefined && (p === "~" || p.startsWith("~/"))) p = home + p.slice(1);
  if (!p.startsWith("/")) p = `${cwd}/${p}`;
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * Follows symlinks: the longest existing prefix of an absolute, normalized path is replaced by its
 * real path and the missing rest is appended as is.
 */
export function canonicalize(path: string, realPath: (p: string) => string = Deno.realPathSync): string {
  let prefix = path;
  let rest = "";
  for (;;) {
    try {
      const real = realPath(prefix);
      return real === "/" ? (rest || "/") : `${real}${rest}`;
    } catch {
      if (prefix === "/") return path;
      const i = prefix.lastIndexOf("/");
      rest = `${prefix.slice(i)}${rest}`;
      prefix = i <= 0 ? "/" : prefix.slice(0, i);
    }
  }
}

/** The key path for user input: normalized, then canonicalized. */
export function normalizePath(path: string, cwd: string, home?: string): string {
  return canonicalize(normalizeLexical(path, cwd, home));
}

/** Whether `a` equals, contains, lies inside, or has nothing to do with `b` (both normalized). */
export function relation(a: string, b: string): Relation {
  if (a === b) return "same";
  if (isInside(b, a)) return "ancestor";
  if (isInside(a, b)) return "descendant";
  return "unrelated";
}

/** True when `child` lies strictly under `parent` (both normalized). */
export function isInside(child: string, parent: string): boolean {
  if (parent === "/") return child !== "/";
  return child.startsWith(`${parent}/`);
}

/** The last component of a path (`/` for the root). */
export function baseName(path: string): string {
  return path.split("/").filter(Boolean).pop() ?? "/";
}

/** `Deno.statSync(path)` (symlinks followed), or undefined on any error: not found or not readable. */
export function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/** Whether `path` can be stat'ed (symlinks followed): false on any error, not found or not readable. */
export function statable(path: string): boolean {
  return statOrUndefined(path) !== undefined;
}

/** True when `path` exists, following symlinks; an error other than "not found" counts as existing. */
export function existsFollowing(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}
