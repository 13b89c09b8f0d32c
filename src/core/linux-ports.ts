/**
 * `treehouse setup --ports` on Linux, pure: let unprivileged processes bind ports 80 and 443 (the
 * HTTPS front of every branch) with `net.ipv4.ip_unprivileged_port_start`, kept in `/etc/sysctl.d/`
 * and applied at once. Once per machine; every pool IP is covered.
 */
import type { TrustStep } from "./ca-trust.ts";

/** The sysctl file setup writes. */
export const SYSCTL_FILE = "/etc/sysctl.d/50-treehouse-ports.conf";
/** The kernel setting, as `sysctl` names it. */
export const SYSCTL_KEY = "net.ipv4.ip_unprivileged_port_start";
/** Where the kernel shows it. */
export const SYSCTL_PROC = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
/** The value that lets the front bind :80 and :443. */
export const UNPRIVILEGED_FROM = 80;

/** The file's content. */
export function sysctlFile(): string {
  return `# treehouse: let dev servers' HTTPS fronts bind :80 and :443 without root (\`treehouse setup --ports\`)\n` +
    `${SYSCTL_KEY} = ${UNPRIVILEGED_FROM}\n`;
}

/** The steps from what is there to ports 80 and up bindable; empty when already so. */
export function linuxPortsSteps(
  state: { file?: string; current?: number },
  root: string,
  sudo: boolean,
): TrustStep[] {
  const steps: TrustStep[] = [];
  if (state.file !== sysctlFile()) {
    steps.push({ kind: "mkdir", path: `${root}/etc/sysctl.d`, sudo });
    steps.push({ kind: "write", path: root + SYSCTL_FILE, content: sysctlFile(), sudo });
  }
  if (state.current === undefined || state.current > UNPRIVILEGED_FROM) {
    steps.push({ kind: "run", argv: ["sysctl", "-w", `${SYSCTL_KEY}=${UNPRIVILEGED_FROM}`], sudo });
  }
  return steps;
}

/** The steps that undo {@link linuxPortsSteps}: the file goes and the kernel default (1024) returns. */
export function linuxPortsUninstallSteps(state: { file?: string }, root: string, sudo: boolean): TrustStep[] {
  if (state.file === undefined) return [];
  return [
    { kind: "remove", path: root + SYSCTL_FILE, sudo },
    { kind: "run", argv: ["sysctl", "-w", `${SYSCTL_KEY}=1024`], sudo },
  ];
}
