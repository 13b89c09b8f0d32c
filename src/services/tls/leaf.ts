/**
 * Leaf certificates per host, issued by the local CA on demand and cached in `tls/leaves/`. The
 * cached path reads four small files and hashes one, loading no npm package: `run --https` starts
 * as quickly as `run` once its certificate exists. Issued again before expiry, when the names
 * change, or when the CA was renewed.
 */
import {
  LEAF_VALIDITY_DAYS,
  type LeafNames,
  type LeafRecord,
  leafStaleReason,
  leafStem,
  parseLeafRecord,
  validity,
} from "../../core/tls.ts";
import { ensureCaLocked, x509 } from "./ca.ts";
import {
  leafPaths,
  privateDir,
  readIfExists,
  sha256Hex,
  type TlsPaths,
  withLock,
  writeAtomic,
} from "./files.ts";

/** A usable leaf: its files and their contents (read once, so a concurrent re-issue cannot mix them). */
export interface Leaf {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA certificate file (for NODE_EXTRA_CA_CERTS and clients). */
  readonly caFile: string;
  /** Why it was issued now; `undefined` when the cached one was used. */
  readonly issued?: string;
}

/** Returns the leaf for `host` with `names`, issuing one when the cache has none usable. */
export async function leafFor(paths: TlsPaths, host: string, names: LeafNames, now: number): Promise<Leaf> {
  const files = leafPaths(paths, leafStem(host));
  const cached = await readCached(paths, files, names, now);
  if (cached) return cached;
  await privateDir(paths.dir);
  return await withLock(paths.lock, async () => {
    const ca = await ensureCaLocked(paths, { now });
    const again = await readCached(paths, files, names, now); // another process may have issued it
    if (again) return again;
    const record = parseLeafRecord(await readJson(files.record));
    const reason = leafStaleReason(record, names, ca.sha256, now) ?? "none cached";
    const { issueLeaf } = await x509();
    const { notBefore, notAfter } = validity(now, LEAF_VALIDITY_DAYS);
    const made = await issueLeaf(ca, names, notBefore, notAfter);
    await privateDir(paths.leaves);
    const fresh: LeafRecord = { ...names, notAfter: notAfter.getTime(), caSha256: ca.sha256 };
    await writeAtomic(files.key, made.keyPem, 0o600);
    await writeAtomic(files.cert, made.certPem, 0o644);
    await writeAtomic(files.record, JSON.stringify(fresh, null, 2) + "\n", 0o644);
    return {
      certFile: files.cert,
      keyFile: files.key,
      certPem: made.certPem,
      keyPem: made.keyPem,
      caFile: paths.caCert,
      issued: reason,
    };
  });
}

async function readCached(
  paths: TlsPaths,
  files: ReturnType<typeof leafPaths>,
  names: LeafNames,
  now: number,
): Promise<Leaf | undefined> {
  try {
    // All four at once: this is on the path of every `run --https` before its server starts.
    const [caPem, recordJson, certPem, keyPem] = await Promise.all([
      readIfExists(paths.caCert),
      readJson(files.record),
      readIfExists(files.cert),
      readIfExists(files.key),
    ]);
    if (caPem === undefined) return undefined;
    const record = parseLeafRecord(recordJson);
    if (leafStaleReason(record, names, await sha256Hex(caPem), now) !== undefined) return undefined;
    if (!certPem?.includes("BEGIN CERTIFICATE") || !keyPem?.includes("BEGIN PRIVATE KEY")) return undefined;
    return { certFile: files.cert, keyFile: files.key, certPem, keyPem, caFile: paths.caCert };
  } catch {
    return undefined; // unreadable cache entries are issued again under the lock
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await readIfExists(path).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One file the TLS directory holds, for `treehouse tls path --json`. */
export interface TlsFile {
  readonly kind: "ca-cert" | "ca-key" | "leaf-cert" | "leaf-key" | "leaf-record";
  readonly path: string;
  /** Octal mode, e.g. "0600". */
  readonly mode: string;
}

/** Every file treehouse keeps in the TLS directory (none when it does not exist yet). */
export async function tlsFiles(paths: TlsPaths): Promise<TlsFile[]> {
  const found: TlsFile[] = [];
  const add = async (kind: TlsFile["kind"], path: string) => {
    try {
      const info = await Deno.stat(path);
      found.push({ kind, path, mode: `0${((info.mode ?? 0) & 0o777).toString(8)}` });
    } catch { /* absent */ }
  };
  await add("ca-cert", paths.caCert);
  await add("ca-key", paths.caKey);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(paths.leaves)) if (entry.isFile) names.push(entry.name);
  } catch { /* no leaves yet */ }
  for (const name of names.sort()) {
    if (name.endsWith(".tmp")) continue;
    const kind = name.endsWith("-key.pem")
      ? "leaf-key"
      : name.endsWith(".json")
      ? "leaf-record"
      : "leaf-cert";
    await add(kind, `${paths.leaves}/${name}`);
  }
  return found;
}
