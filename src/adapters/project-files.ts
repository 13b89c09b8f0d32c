/**
 * Reading a project's own files by relative path (`package.json`, `vite.config.ts`, `manage.py`…)
 * for `treehouse init` and `run`'s host checks: small text files only, never outside the directory.
 */

/** Largest file read (a config file is small; a huge one is not worth the time). */
const MAX_BYTES = 512 * 1024;

/** A reader of `dir`'s files: `(relative) => text`, undefined when missing, unreadable or too big. */
export function projectReader(dir: string): (relative: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (relative) => {
    if (relative.startsWith("/") || relative.split("/").includes("..")) return undefined;
    if (cache.has(relative)) return cache.get(relative);
    let text: string | undefined;
    try {
      const path = `${dir.replace(/\/+$/, "")}/${relative}`;
      const info = Deno.statSync(path);
      if (info.isFile && info.size <= MAX_BYTES) text = Deno.readTextFileSync(path);
    } catch { /* missing or unreadable: undefined */ }
    cache.set(relative, text);
    return text;
  };
}
