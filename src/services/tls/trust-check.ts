/**
 * Doctor's TLS checks, one per trust store: does it hold this CA, and does a freshly issued leaf
 * verify against it (Chromium's NSS database through `vfychain`, the system store through
 * `openssl verify`, the macOS keychain through `security verify-cert`).
 */
import { storeName, type StoreState } from "../../core/ca-trust.ts";
import { LEAF_VALIDITY_DAYS, leafNames, validity } from "../../core/tls.ts";
import { probeOutput } from "../../adapters/process/spawn.ts";
import type { Check } from "../doctor/checks.ts";
import { ensureCaLocked, x509 } from "./ca.ts";
import { readIfExists, type TlsPaths, withLock } from "./files.ts";
import { readStores, type TrustContext } from "./trust.ts";

function checkId(state: StoreState): string {
  const s = state.store;
  if (s.kind === "macos-keychain") return "tls:keychain";
  if (s.kind === "linux-system") return "tls:system";
  return `tls:${s.label.toLowerCase().replace(/[^a-z0-9.-]+/g, "-")}`;
}

function verifies(state: StoreState, ctx: TrustContext, leafFile: string): boolean | undefined {
  const s = state.store;
  let result;
  if (s.kind === "nss") result = probeOutput("vfychain", ["-d", `sql:${s.path}`, "-u", "1", "-a", leafFile]);
  else if (s.kind === "macos-keychain") {
    result = probeOutput("security", ["verify-cert", "-c", leafFile, "-p", "ssl"]);
  } else {
    // With a test root the system's own directory is not the one written: check against the file.
    const args = ctx.root ? ["verify", "-CAfile", s.path, leafFile] : ["verify", leafFile];
    result = probeOutput("openssl", args);
  }
  return result === undefined ? undefined : result.code === 0;
}

/** One check per trust store; a single `tls` check when there is no CA yet or it is unusable. */
export async function trustChecks(paths: TlsPaths, ctx: TrustContext, now: number): Promise<Check[]> {
  const caPem = await readIfExists(paths.caCert).catch(() => undefined);
  if (caPem === undefined) {
    return [{
      id: "tls",
      status: "skip",
      detail: "no local CA yet (made by `treehouse tls ca` or the first `run --https`)",
    }];
  }
  let leaf: { certPem: string };
  try {
    const ca = await withLock(paths.lock, () => ensureCaLocked(paths, { now }));
    const { issueLeaf } = await x509();
    const { notBefore, notAfter } = validity(now, LEAF_VALIDITY_DAYS);
    leaf = await issueLeaf(
      ca,
      leafNames("treehouse-tls-check.local", "treehouse-tls-check", "127.0.0.1"),
      notBefore,
      notAfter,
    );
  } catch (error) {
    return [{
      id: "tls",
      status: "fail",
      detail: (error as Error).message,
      fix: "treehouse tls ca --renew && treehouse setup --https",
    }];
  }
  const temp = await Deno.makeTempFile({ prefix: "treehouse-tls-check-", suffix: ".pem" });
  try {
    await Deno.writeTextFile(temp, leaf.certPem);
    return readStores(ctx, caPem).map((state): Check => {
      const id = checkId(state);
      const name = storeName(state.store);
      if (state.blocked) return { id, status: "warn", detail: `${name}: ${state.blocked}` };
      if (state.holds === "no") {
        return {
          id,
          status: "warn",
          detail: `${name} does not trust the CA`,
          fix: "treehouse setup --https",
        };
      }
      if (state.holds === "other") {
        return {
          id,
          status: "fail",
          detail: `${name} holds another treehouse CA (renewed since)`,
          fix: "treehouse setup --https",
        };
      }
      const ok = verifies(state, ctx, temp);
      if (ok === false) {
        return { id, status: "fail", detail: `${name} holds the CA but a fresh leaf does not verify` };
      }
      return {
        id,
        status: "ok",
        detail: `${name} trusts the CA${ok ? "; a fresh leaf verifies" : ""}`,
      };
    });
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}
