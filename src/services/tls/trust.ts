/**
 * Installing the local CA into this machine's trust stores (`treehouse setup --https`) and reading
 * what they hold (`setup`, `doctor`). macOS: the System keychain through `security`. Linux: the
 * system store as root (`update-ca-certificates` or `update-ca-trust`) and the user's NSS databases
 * (`~/.pki/nssdb` for Chromium, Firefox profiles' `cert9.db`) through `certutil`.
 */
import { statable as exists } from "../../adapters/paths.ts";
import {
  CA_NICKNAME,
  DEBIAN_ANCHOR,
  MAC_KEYCHAIN,
  pemBlocks,
  REDHAT_ANCHOR,
  type StoreState,
  type TrustStep,
  type TrustStore,
} from "../../core/ca-trust.ts";
import { onPath, runProgram } from "../../adapters/process/spawn.ts";
import { applySystemSteps } from "../../adapters/system-steps.ts";

/** Where to look: the platform, the file-system root (tests), HOME, PATH and whether we are root. */
export interface TrustContext {
  readonly platform: "macos" | "linux";
  /** Prefix of every system file path ("" on a real machine). */
  readonly root: string;
  readonly home?: string;
  readonly path?: string;
  /** Running as root (the Linux system store needs it). */
  readonly isRoot: boolean;
  /** The command that runs `setup --https` as root on this registry (named in the system store's note). */
  readonly sudoSetup?: string;
}

/** The command that installs certutil, for messages. */
export const CERTUTIL_INSTALL =
  "sudo apt-get install libnss3-tools   # Fedora: sudo dnf install nss-tools; Arch: sudo pacman -S nss";

function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

function holdsOf(found: string[], caPem: string): StoreState["holds"] {
  if (found.length === 0) return "no";
  const ours = pemBlocks(caPem)[0];
  return ours !== undefined && found.includes(ours) ? "yes" : "other";
}

/** Every store of this machine and whether it holds `caPem` (an empty `caPem`: none made yet). */
export function readStores(ctx: TrustContext, caPem: string): StoreState[] {
  if (ctx.platform === "macos") {
    const store: TrustStore = { kind: "macos-keychain", path: MAC_KEYCHAIN };
    const found = runProgram(["security", "find-certificate", "-a", "-c", CA_NICKNAME, "-p", MAC_KEYCHAIN]);
    return [{ store, holds: holdsOf(found.code === 0 ? pemBlocks(found.stdout) : [], caPem) }];
  }
  const states: StoreState[] = [];
  const debian = exists(`${ctx.root}/usr/local/share/ca-certificates`) ||
    onPath("update-ca-certificates", ctx.path) !== undefined;
  const redhat = !debian && onPath("update-ca-trust", ctx.path) !== undefined;
  if (debian || redhat) {
    const path = debian ? DEBIAN_ANCHOR : REDHAT_ANCHOR;
    const text = readOptional(ctx.root + path);
    states.push({
      store: { kind: "linux-system", flavor: debian ? "debian" : "redhat", path: ctx.root + path },
      holds: holdsOf(text === undefined ? [] : pemBlocks(text), caPem),
      blocked: ctx.isRoot
        ? undefined
        : "needs root: run `sudo treehouse setup --https` for curl, Python, Go…",
    });
  }
  if (ctx.home) {
    const certutil = onPath("certutil", ctx.path);
    for (const { dir, label } of nssDatabases(ctx.home)) {
      const store: TrustStore = { kind: "nss", path: dir, label };
      const create = !exists(`${dir}/cert9.db`);
      if (!certutil) {
        states.push({
          store,
          holds: "no",
          create,
          blocked: `certutil is not installed: ${CERTUTIL_INSTALL}`,
        });
        continue;
      }
      let holds: StoreState["holds"] = "no";
      if (!create) {
        const listed = runProgram(["certutil", "-d", `sql:${dir}`, "-L", "-n", CA_NICKNAME, "-a"]);
        holds = holdsOf(listed.code === 0 ? pemBlocks(listed.stdout) : [], caPem);
      }
      states.push({ store, holds, create });
    }
  }
  return states;
}

/** `~/.pki/nssdb` (always: made when missing) and every Firefox profile that has a `cert9.db`. */
function nssDatabases(home: string): { dir: string; label: string }[] {
  const found = [{ dir: `${home}/.pki/nssdb`, label: "Chromium" }];
  for (const base of [`${home}/.mozilla/firefox`, `${home}/snap/firefox/common/.mozilla/firefox`]) {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = [...Deno.readDirSync(base)];
    } catch { /* no Firefox here */ }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = `${base}/${entry.name}`;
      if (entry.isDirectory && exists(`${dir}/cert9.db`)) found.push({ dir, label: `Firefox ${entry.name}` });
    }
  }
  return found;
}

/** Runs the steps in order, stopping at the first failure (a {@link SystemError} naming it). */
export function applyTrustSteps(steps: readonly TrustStep[], log: (line: string) => void): void {
  applySystemSteps(steps, log, {
    stopped: "Trust setup stopped",
    hint: "Fix the cause and run `treehouse setup --https` again: stores already done are skipped",
    stagePrefix: "treehouse-ca-",
  });
}
