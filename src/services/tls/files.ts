/**
 * Where the local CA and the leaf cache live (the data dir's `tls/`, 0700; keys 0600) and the small
 * file operations they need: atomic writes with a mode, and one lock for everything that issues.
 */

/** The files of the TLS directory. */
export interface TlsPaths {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly leaves: string;
  readonly lock: string;
}

/** The TLS paths under a data directory (the registry's directory). */
export function tlsPaths(dataDir: string): TlsPaths {
  const dir = `${dataDir.replace(/\/+$/, "")}/tls`;
  return {
    dir,
    caCert: `${dir}/ca.pem`,
    caKey: `${dir}/ca-key.pem`,
    leaves: `${dir}/leaves`,
    lock: `${dir}/.lock`,
  };
}

/** A cached leaf's three files. */
export interface LeafPaths {
  readonly cert: string;
  readonly key: string;
  readonly record: string;
}

/** The files of the cached leaf named `stem`. */
export function leafPaths(paths: TlsPaths, stem: string): LeafPaths {
  return {
    cert: `${paths.leaves}/${stem}.pem`,
    key: `${paths.leaves}/${stem}-key.pem`,
    record: `${paths.leaves}/${stem}.json`,
  };
}

/** Creates `dir` (and parents) and makes it 0700 even when it already existed. */
export async function privateDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
}

/** Writes `text` to `path` atomically (temp file + rename) with `mode`. */
export async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temp, text, { mode, createNew: true });
    await Deno.chmod(temp, mode);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Reads a text file, `undefined` when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Runs `fn` holding an exclusive lock on `path` (other processes issuing certificates wait). */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const file = await Deno.open(path, { create: true, write: true, mode: 0o600 });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close(); // closing releases the lock
  }
}

/** SHA-256 of a text, lower-case hex (WebCrypto: no npm package on the cached path). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
