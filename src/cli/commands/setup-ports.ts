/**
 * `treehouse setup --ports [--uninstall]` on Linux: ports 80 and 443 bindable without root, through
 * `net.ipv4.ip_unprivileged_port_start` (macOS: the pf anchor, in `setup.ts`).
 */
import { describeTrustStep } from "../../core/ca-trust.ts";
import {
  linuxPortsSteps,
  linuxPortsUninstallSteps,
  SYSCTL_FILE,
  SYSCTL_PROC,
  UNPRIVILEGED_FROM,
} from "../../core/linux-ports.ts";
import { SystemError } from "../../errors.ts";
import { applyTrustSteps } from "../../services/tls/trust.ts";
import type { AppContext } from "../context.ts";
import { say } from "../output.ts";
import { planConfirmed } from "../setup-prompt.ts";

function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Runs the Linux part of `setup --ports`. */
export default function setupPortsLinux(
  this: AppContext,
  flags: { uninstall?: boolean; dryRun?: boolean; yes?: boolean },
  root: string,
  sudo: boolean,
): void {
  const state = () => {
    const value = read(`${root}${SYSCTL_PROC}`)?.trim();
    return { file: read(root + SYSCTL_FILE), current: value ? Number(value) : undefined };
  };
  const steps = flags.uninstall
    ? linuxPortsUninstallSteps(state(), root, sudo)
    : linuxPortsSteps(state(), root, sudo);
  if (steps.length === 0) {
    say(
      this,
      flags.uninstall
        ? "Nothing to uninstall: setup --ports is not installed"
        : "Ports 80 and 443 are already bindable: nothing to do",
    );
    return;
  }
  const title = `treehouse setup --ports${flags.uninstall ? " --uninstall" : ""}`;
  if (!planConfirmed(this, title, steps.map(describeTrustStep), { ...flags, sudo })) return;
  applyTrustSteps(steps, (line) => say(this, line));
  if (flags.uninstall) {
    say(this, `Removed ${root + SYSCTL_FILE}; unprivileged ports start at 1024 again`);
    return;
  }
  const after = state();
  if (after.current !== undefined && after.current > UNPRIVILEGED_FROM) {
    throw new SystemError(`Setup did not take: ${SYSCTL_PROC} is still ${after.current}`, {
      hint: "Run `treehouse doctor` to see what is wrong",
    });
  }
  say(this, "Done: every user may bind ports 80 and up, so `run --https` serves https://<branch>.local/");
}
