/**
 * `treehouse setup --https [--uninstall] [--dry-run] [--root DIR] [--yes]`: trust the local CA in
 * every store of this machine (or take it out), printing the plan first.
 */
import {
  describeTrustStep,
  installSteps,
  storeName,
  type TrustStep,
  uninstallSteps,
} from "../../core/ca-trust.ts";
import { MissingToolError, SystemError } from "../../errors.ts";
import { registryPath } from "../../registry/path.ts";
import { ensureCa } from "../../services/tls/ca.ts";
import { readIfExists, tlsPaths } from "../../services/tls/files.ts";
import { applyTrustSteps, readStores, type TrustContext } from "../../services/tls/trust.ts";
import { currentPlatform } from "../../adapters/platform/platform.ts";
import { sudoCommand } from "../../adapters/self.ts";
import type { AppContext } from "../context.ts";
import { say } from "../output.ts";
import { needsSudo, planConfirmed } from "../setup-prompt.ts";

/** Flags of `setup --https`. */
export interface SetupHttpsFlags {
  readonly uninstall?: boolean;
  readonly yes?: boolean;
  readonly dryRun?: boolean;
  readonly root?: string;
}

/** The trust context of this process (`TREEHOUSE_SUDO` set: tests, acting as root). */
export function trustContext(ctx: AppContext, root: string): TrustContext {
  const forced = ctx.env("TREEHOUSE_SUDO");
  return {
    platform: currentPlatform(ctx.env, ctx.host.os).name,
    root,
    home: ctx.env("HOME"),
    path: ctx.env("PATH"),
    isRoot: forced === "1" || forced === "0" ? true : Deno.uid() === 0,
    // Under sudo HOME is root's: --db keeps the CA of this user's data directory.
    sudoSetup: sudoCommand(registryPath(ctx.dbFlag, ctx.env), ["setup", "--https"]),
  };
}

export default async function setupHttps(this: AppContext, flags: SetupHttpsFlags): Promise<void> {
  const root = (flags.root ?? this.env("TREEHOUSE_ROOT") ?? "").replace(/\/+$/, "");
  const db = registryPath(this.dbFlag, this.env);
  const paths = tlsPaths(db.slice(0, db.lastIndexOf("/")) || "/");
  const trust = trustContext(this, root);
  const sudo = trust.platform === "macos" && needsSudo(this);
  // Uninstalling never creates a CA: every treehouse CA is taken out by name.
  const caPem = flags.uninstall
    ? (await readIfExists(paths.caCert)) ?? ""
    : (await ensureCa(paths, { now: Date.now() })).certPem;
  const states = readStores(trust, caPem);
  const steps: TrustStep[] = states.flatMap((s) =>
    flags.uninstall ? uninstallSteps(s, sudo) : installSteps(s, paths.caCert, caPem, sudo)
  );
  const blocked = states.filter((s) => s.blocked);
  for (const s of blocked) say(this, `note: ${storeName(s.store)}: ${s.blocked}`);
  if (steps.length === 0) {
    if (!flags.uninstall && !states.some((s) => s.holds === "yes")) {
      const missingTool = blocked.find((s) => s.blocked?.startsWith("certutil"));
      if (missingTool) {
        throw new MissingToolError("certutil is not installed: no trust store could take the CA", {
          hint: missingTool.blocked?.replace(/^certutil is not installed: /, ""),
        });
      }
      throw new SystemError("No trust store found that treehouse can install the CA into", {
        hint: "Trust it by hand: the CA certificate is at " + paths.caCert,
      });
    }
    say(
      this,
      flags.uninstall
        ? "Nothing to uninstall: no store holds a treehouse CA"
        : "Already trusted: nothing to do",
    );
    return;
  }
  const title = `treehouse setup --https${flags.uninstall ? " --uninstall" : ""}`;
  const asks = steps.some((s) => s.sudo);
  if (!planConfirmed(this, title, steps.map(describeTrustStep), { ...flags, sudo: asks })) return;
  applyTrustSteps(steps, (line) => say(this, line));
  const after = readStores(trust, caPem).filter((s) => !s.blocked);
  const wrong = after.filter((s) => flags.uninstall ? s.holds !== "no" : s.holds !== "yes");
  if (wrong.length > 0) {
    throw new SystemError(`Setup did not take: ${storeName(wrong[0]!.store)}`, {
      hint: "Run `treehouse doctor` to see what is wrong",
    });
  }
  say(
    this,
    flags.uninstall
      ? `Removed the treehouse CA from: ${after.map((s) => storeName(s.store)).join(", ")}`
      : `Trusted in: ${after.map((s) => storeName(s.store)).join(", ")}`,
  );
}
