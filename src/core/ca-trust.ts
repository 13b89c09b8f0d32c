/**
 * Trusting the local CA, pure: the stores of each platform and the steps that install or remove
 * the CA in them, from what the caller found. Every store holds it under a name starting with
 * `treehouse` (the CA's common name, or `treehouse-local-ca.*` files).
 */
import { CA_COMMON_NAME } from "./tls.ts";
import type { SystemStep } from "./system-step.ts";

/** The NSS nickname and keychain label of the CA. */
export const CA_NICKNAME = CA_COMMON_NAME;
/** macOS: the keychain trusted roots go to. */
export const MAC_KEYCHAIN = "/Library/Keychains/System.keychain";
/** Debian/Ubuntu: local CAs, picked up by `update-ca-certificates` (must end in `.crt`). */
export const DEBIAN_ANCHOR = "/usr/local/share/ca-certificates/treehouse-local-ca.crt";
/** Fedora/Arch: anchors picked up by `update-ca-trust`. */
export const REDHAT_ANCHOR = "/etc/pki/ca-trust/source/anchors/treehouse-local-ca.pem";

/** A trust store treehouse knows how to fill. */
export type TrustStore =
  | { readonly kind: "macos-keychain"; readonly path: string }
  | { readonly kind: "linux-system"; readonly flavor: "debian" | "redhat"; readonly path: string }
  | { readonly kind: "nss"; readonly path: string; readonly label: string };

/** A store and what it holds now. */
export interface StoreState {
  readonly store: TrustStore;
  /** `yes`: this CA; `other`: a treehouse CA that is not this one (after --renew); `no`: none. */
  readonly holds: "yes" | "other" | "no";
  /** Why the store cannot be changed by this run (no root, no certutil…), with the fix. */
  readonly blocked?: string;
  /** The store does not exist yet and installing creates it (a fresh `~/.pki/nssdb`). */
  readonly create?: boolean;
}

/** One thing to do to a store; `sudo` when it needs root and treehouse is not root. */
export type TrustStep = SystemStep;

/** A human name for a store, for plans and reports. */
export function storeName(store: TrustStore): string {
  if (store.kind === "macos-keychain") return `macOS System keychain (${store.path})`;
  if (store.kind === "linux-system") return `system store (${store.path})`;
  return `NSS database ${store.label} (${store.path})`;
}

/** The steps that put the CA (file `caFile`, text `caPem`) into `state`'s store; empty when it is there. */
export function installSteps(state: StoreState, caFile: string, caPem: string, sudo: boolean): TrustStep[] {
  if (state.holds === "yes" || state.blocked) return [];
  const s = state.store;
  if (s.kind === "macos-keychain") {
    const steps: TrustStep[] = [];
    if (state.holds === "other") steps.push(removeKeychain(s.path, sudo));
    steps.push({
      kind: "run",
      argv: ["security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", s.path, caFile],
      sudo,
    });
    return steps;
  }
  if (s.kind === "linux-system") {
    return [
      { kind: "mkdir", path: s.path.slice(0, s.path.lastIndexOf("/")), sudo },
      { kind: "write", path: s.path, content: caPem, sudo },
      { kind: "run", argv: s.flavor === "debian" ? ["update-ca-certificates"] : ["update-ca-trust"], sudo },
    ];
  }
  const db = `sql:${s.path}`;
  const steps: TrustStep[] = [];
  if (state.create) {
    steps.push({ kind: "mkdir", path: s.path, sudo: false });
    steps.push({ kind: "run", argv: ["certutil", "-d", db, "-N", "--empty-password"], sudo: false });
  }
  if (state.holds === "other") steps.push(removeNss(s.path));
  steps.push({
    kind: "run",
    argv: ["certutil", "-d", db, "-A", "-t", "C,,", "-n", CA_NICKNAME, "-i", caFile],
    sudo: false,
  });
  return steps;
}

/** The steps that take the CA (or an older treehouse CA) out of `state`'s store. */
export function uninstallSteps(state: StoreState, sudo: boolean): TrustStep[] {
  if (state.holds === "no" || state.blocked) return [];
  const s = state.store;
  if (s.kind === "macos-keychain") return [removeKeychain(s.path, sudo)];
  if (s.kind === "linux-system") {
    return [
      { kind: "remove", path: s.path, sudo },
      {
        kind: "run",
        argv: s.flavor === "debian" ? ["update-ca-certificates", "--fresh"] : ["update-ca-trust"],
        sudo,
      },
    ];
  }
  return [removeNss(s.path)];
}

function removeKeychain(keychain: string, sudo: boolean): TrustStep {
  return { kind: "run", argv: ["security", "delete-certificate", "-c", CA_NICKNAME, "-t", keychain], sudo };
}

function removeNss(dir: string): TrustStep {
  return { kind: "run", argv: ["certutil", "-d", `sql:${dir}`, "-D", "-n", CA_NICKNAME], sudo: false };
}

/** A step as the plan prints it. */
export function describeTrustStep(step: TrustStep): string {
  const prefix = step.sudo ? "sudo " : "";
  if (step.kind === "write") return `${prefix}write ${step.path}`;
  if (step.kind === "remove") return `${prefix}remove ${step.path}`;
  if (step.kind === "mkdir") return `${prefix}mkdir -p ${step.path}`;
  return prefix + step.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}

/** Normalizes PEM text for comparison (line endings, surrounding space, several blocks). */
export function pemBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)]
    .map((m) => m[0].replace(/\s+/g, ""));
}
