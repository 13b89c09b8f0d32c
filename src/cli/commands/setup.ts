/**
 * `treehouse setup [--ports] [--uninstall] [--yes] [--dry-run]`: on macOS, a LaunchDaemon that adds
 * the pool's `lo0` aliases at boot (and with `--ports` a pf anchor for ports 80 and 443); on Linux,
 * advice, or with `--ports` the unprivileged-port sysctl. `--https` trusts the local CA.
 * Prints the plan and asks before using sudo.
 */
import { loadSettings } from "../../services/settings.ts";
import { formatPool, poolIps } from "../../core/pool.ts";
import { UsageError } from "../../errors.ts";
import { describeStep, planSetup, planUninstall } from "../../core/macos-plan.ts";
import { readMacState, runSteps } from "../../adapters/platform/macos.ts";
import { verifySetup } from "../../services/setup.ts";
import { linuxSetupAdvice } from "../../adapters/platform/linux.ts";
import { userConfigPath } from "../../adapters/config-files.ts";
import { currentPlatform } from "../../adapters/platform/platform.ts";
import { sudoCommand } from "../../adapters/self.ts";
import { registryPath } from "../../registry/path.ts";
import type { AppContext } from "../context.ts";
import { say } from "../output.ts";
import { needsSudo, planConfirmed } from "../setup-prompt.ts";

/** Flags of `setup`. */
export interface SetupFlags {
  readonly https?: boolean;
  readonly ports?: boolean;
  /** The former name of `--ports` (it redirected port 80 per branch; now every pool IP's 80 and 443). */
  readonly port80?: boolean;
  readonly uninstall?: boolean;
  readonly yes?: boolean;
  readonly dryRun?: boolean;
  readonly root?: string;
}

export default async function setup(this: AppContext, flags: SetupFlags): Promise<void> {
  if (flags.https) {
    if (flags.port80) {
      throw new UsageError("--https and --port80 cannot be combined", {
        hint: "Run them one after the other",
      });
    }
    return await (await import("./setup-https.ts")).default.call(this, flags);
  }
  const platform = currentPlatform(this.env, this.host.os);
  const settings = loadSettings(this.config, this.cwd);
  const ports = flags.ports || flags.port80;
  const root = (flags.root ?? this.env("TREEHOUSE_ROOT") ?? "").replace(/\/+$/, "");
  if (platform.name === "linux" && ports) {
    (await import("./setup-ports.ts")).default.call(this, flags, root, needsSudo(this));
    return;
  }
  if (platform.name === "linux") {
    // Advice is a message, like the plans of `--ports` and `--https` (stderr); stdout stays for data.
    say(
      this,
      linuxSetupAdvice({
        pool: formatPool(settings.pool),
        path: this.env("PATH"),
        port80: flags.port80 ?? false,
        uninstall: flags.uninstall ?? false,
        hostsSync: sudoCommand(registryPath(this.dbFlag, this.env), ["hosts", "sync"]),
        userConfig: userConfigPath(this.env),
      }),
    );
    return;
  }
  if (ports && flags.uninstall) {
    throw new UsageError("--ports and --uninstall cannot be combined", {
      hint: "`treehouse setup --uninstall` removes the pf redirect too",
    });
  }
  const ips = poolIps(settings.pool);
  const sudo = needsSudo(this);
  const state = readMacState(root);
  const steps = flags.uninstall ? planUninstall(state, ips, root) : planSetup(state, { ips, ports, root });
  if (steps.length === 0) {
    say(
      this,
      flags.uninstall
        ? "Nothing to uninstall: setup's files and aliases are not there"
        : "Already set up: nothing to do",
    );
    return;
  }
  const title = `treehouse setup${flags.uninstall ? " --uninstall" : ""}`;
  if (!planConfirmed(this, title, steps.map((s) => describeStep(s, sudo)), { ...flags, sudo })) return;
  runSteps(steps, sudo, (line) => say(this, line));
  say(this, verifySetup(root, ips, { uninstall: flags.uninstall ?? false, ports: ports ?? false }));
}
