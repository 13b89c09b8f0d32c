/**
 * X.509 over WebCrypto (`@peculiar/x509`): the local CA and its leaf certificates, ECDSA P-256.
 * Heavy (an npm package and its ASN.1 stack): load it with `await import()` only when a certificate
 * must be made or read, never on a hot path.
 */
// tsyringe, which @peculiar/x509 uses, needs the Reflect metadata API before it loads.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;

/** A certificate and its private key, both PEM (the key PKCS#8, as `Deno.listenTls` takes it). */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What a certificate says, as far as treehouse checks it. */
export interface CertInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  /** DNS names of the subjectAltName extension. */
  readonly dnsNames: string[];
  /** IP addresses of the subjectAltName extension, as text. */
  readonly ips: string[];
  /** SHA-256 of the DER bytes, lower-case hex. */
  readonly sha256: string;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a positive INTEGER
  return hex(bytes);
}

function pem(label: string, der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, label) + "\n";
}

function newKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
}

/** The signing key of a PEM pair (PKCS#8). */
function signingKey(keyPem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(keyPem), EC, false, ["sign"]);
}

/** `cert` and the private key of `keys`, both PEM. */
async function pemPair(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<PemPair> {
  const key = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { certPem: cert.toString("pem") + "\n", keyPem: pem("PRIVATE KEY", key) };
}

/** Escapes a value for an X.500 name string (RFC 4514). */
function rdn(value: string): string {
  return value.replace(/([,+"\\<>;=#])/g, "\\$1");
}

/** Makes a self-signed CA certificate valid from `notBefore` to `notAfter`. */
export async function createCa(commonName: string, notBefore: Date, notAfter: Date): Promise<PemPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${rdn(commonName)}, O=treehouse`,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return await pemPair(cert, keys);
}

/** Names and addresses a leaf certificate is issued for. */
export interface LeafSubject {
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
}

/** Issues a server certificate for `subject`, signed by `ca`. */
export async function issueLeaf(
  ca: PemPair,
  subject: LeafSubject,
  notBefore: Date,
  notAfter: Date,
): Promise<PemPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await signingKey(ca.keyPem);
  const keys = await newKeys();
  const first = subject.dnsNames[0] ?? subject.ips[0] ?? "treehouse";
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${rdn(first)}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...subject.dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...subject.ips.map((value) => ({ type: "ip" as const, value: sanIp(value) })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return await pemPair(cert, keys);
}

/**
 * An IP address as the library encodes it: IPv6 with an embedded IPv4 part (`::ffff:127.0.0.1`) is
 * written in hex groups (`::ffff:7f00:1`), which it parses correctly where the dotted tail is not.
 */
export function sanIp(ip: string): string {
  const mapped = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!mapped) return ip;
  const [a, b, c, d] = mapped.slice(2).map(Number) as [number, number, number, number];
  return `${mapped[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** Reads a PEM certificate; throws when it is not one. */
export async function readCert(certPem: string): Promise<CertInfo> {
  const cert = new x509.X509Certificate(certPem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", cert.rawData));
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: basic?.ca ?? false,
    dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
    ips: names.filter((n) => n.type === "ip").map((n) => n.value),
    sha256: hex(digest),
  };
}

/** Checks that `keyPem` is the private key of `certPem` (sign and verify one message). */
export async function keyMatches(pair: PemPair): Promise<boolean> {
  const cert = new x509.X509Certificate(pair.certPem);
  const key = await signingKey(pair.keyPem);
  const publicKey = await cert.publicKey.export(EC, ["verify"]);
  const data = new TextEncoder().encode("treehouse");
  const signature = await crypto.subtle.sign(SIGNING, key, data);
  return await crypto.subtle.verify(SIGNING, publicKey, signature, data);
}

/** Whether `leafPem` carries a valid signature of `caPem`. */
export async function signedBy(leafPem: string, caPem: string): Promise<boolean> {
  const leaf = new x509.X509Certificate(leafPem);
  const ca = new x509.X509Certificate(caPem);
  return await leaf.verify({ publicKey: ca.publicKey, signatureOnly: true });
}
