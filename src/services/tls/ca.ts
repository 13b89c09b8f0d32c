/**
 * The local certificate authority's lifecycle: created on first use, read and checked after that,
 * replaced only on request (`treehouse tls ca --renew`). A CA that cannot be read is an error and
 * its files are left as they are: replacing it silently would break every trust store holding it.
 */
import { CA_COMMON_NAME, CA_VALIDITY_DAYS, validity } from "../../core/tls.ts";
import { CertificateError } from "../../errors.ts";
import { privateDir, readIfExists, sha256Hex, type TlsPaths, withLock, writeAtomic } from "./files.ts";

/** The CA as the leaf issuer needs it. */
export interface LoadedCa {
  readonly certPem: string;
  readonly keyPem: string;
  /** SHA-256 of the certificate file's text: what leaf records name their issuer by. */
  readonly sha256: string;
  /** The CA was made by this call. */
  readonly created: boolean;
}

/** Options of {@link ensureCa}. */
export interface EnsureCaOptions {
  /** Epoch ms. */
  readonly now: number;
  /** Replace the CA (and drop the leaf cache) even when the current one is fine. */
  readonly renew?: boolean;
}

const RENEW_HINT =
  "Run `treehouse tls ca --renew` to make a new CA, then `treehouse setup --https` to trust it again";

/** Loads the x509 adapter (heavy; only when a certificate is made or read). */
export function x509() {
  return import("../../adapters/x509.ts");
}

/** Returns the CA, creating it when there is none; `renew` replaces it. */
export async function ensureCa(paths: TlsPaths, options: EnsureCaOptions): Promise<LoadedCa> {
  await privateDir(paths.dir);
  return await withLock(paths.lock, () => ensureCaLocked(paths, options));
}

/** {@link ensureCa} for a caller already holding the TLS lock. */
export async function ensureCaLocked(paths: TlsPaths, options: EnsureCaOptions): Promise<LoadedCa> {
  const certPem = await readCa(paths.caCert);
  const keyPem = await readCa(paths.caKey);
  if (!options.renew && certPem !== undefined && keyPem !== undefined) {
    await checkCa(paths, { certPem, keyPem }, options.now);
    return { certPem, keyPem, sha256: await sha256Hex(certPem), created: false };
  }
  if (!options.renew && (certPem !== undefined || keyPem !== undefined)) {
    const missing = certPem === undefined ? paths.caCert : paths.caKey;
    throw new CertificateError(`The local CA is incomplete: ${missing} is missing`, { hint: RENEW_HINT });
  }
  const { createCa } = await x509();
  const made = await createCa(CA_COMMON_NAME, ...windowOf(options.now));
  // The key first: a cert without its key is "incomplete", never a CA that seems to work.
  await writeAtomic(paths.caKey, made.keyPem, 0o600);
  await writeAtomic(paths.caCert, made.certPem, 0o644);
  if (options.renew) await Deno.remove(paths.leaves, { recursive: true }).catch(() => {});
  return { ...made, sha256: await sha256Hex(made.certPem), created: true };
}

function windowOf(now: number): [Date, Date] {
  const { notBefore, notAfter } = validity(now, CA_VALIDITY_DAYS);
  return [notBefore, notAfter];
}

async function readCa(path: string): Promise<string | undefined> {
  try {
    return await readIfExists(path);
  } catch (error) {
    throw new CertificateError(`Cannot read the local CA: ${path}: ${(error as Error).message}`, {
      hint: "Check the file's owner and mode (the TLS directory is 0700, keys 0600)",
      cause: error,
    });
  }
}

async function checkCa(
  paths: TlsPaths,
  pair: { certPem: string; keyPem: string },
  now: number,
): Promise<void> {
  const { readCert, keyMatches } = await x509();
  let info;
  try {
    info = await readCert(pair.certPem);
  } catch (error) {
    throw new CertificateError(`The local CA certificate is corrupt: ${paths.caCert}`, {
      hint: RENEW_HINT,
      cause: error,
    });
  }
  let matches = false;
  try {
    matches = await keyMatches(pair);
  } catch (error) {
    throw new CertificateError(`The local CA key is corrupt: ${paths.caKey}`, {
      hint: RENEW_HINT,
      cause: error,
    });
  }
  if (!matches) {
    throw new CertificateError(`The local CA key does not belong to its certificate: ${paths.caKey}`, {
      hint: RENEW_HINT,
    });
  }
  if (!info.isCa) {
    throw new CertificateError(`The local CA certificate is not a CA: ${paths.caCert}`, { hint: RENEW_HINT });
  }
  if (info.notAfter.getTime() <= now) {
    throw new CertificateError(
      `The local CA expired on ${info.notAfter.toISOString().slice(0, 10)}: ${paths.caCert}`,
      { hint: RENEW_HINT },
    );
  }
}
