/**
 * What `treehouse setup` does on macOS, as data: the LaunchDaemon plist that adds the `lo0` aliases
 * at boot, the pf anchor and its LaunchDaemon for `--ports`, and the steps that take the machine
 * from its current state to the wanted one (or back, for `--uninstall`). Pure: the adapter in
 * `src/adapters/platform/macos.ts` reads the state and runs the steps.
 */

/** launchd label of the alias daemon. */
export const ALIAS_LABEL = "dev.treehouse.lo0-aliases";
/** launchd label of the pf daemon (`--ports`; the label predates it). */
export const PF_LABEL = "dev.treehouse.pf-port80";
/** Where the alias daemon's plist lives. */
export const ALIAS_PLIST = `/Library/LaunchDaemons/${ALIAS_LABEL}.plist`;
/** Where the pf daemon's plist lives. */
export const PF_PLIST = `/Library/LaunchDaemons/${PF_LABEL}.plist`;
/** The pf rules file. */
export const PF_ANCHOR_FILE = "/etc/pf.anchors/treehouse";
/** A sub-anchor of `com.apple/*`, which macOS's stock pf.conf already evaluates: pf.conf is not edited. */
export const PF_ANCHOR = "com.apple/treehouse";

/**
 * The unprivileged ports the pf anchor sends `<ip>:80` and `<ip>:443` to, on the same IP, for every
 * pool IP: the HTTPS front of `treehouse run` listens there, so URLs need no port and new branches
 * need nothing (macOS refuses unprivileged binds of a specific address below 1024).
 */
export const PF_HTTP_PORT = 10080;
/** See {@link PF_HTTP_PORT}. */
export const PF_HTTPS_PORT = 10443;

/** What is on the machine now (files as their content, `undefined` when absent). */
export interface MacState {
  aliasPlist?: string;
  aliasLoaded: boolean;
  /** IPv4 addresses currently on lo0. */
  aliases: ReadonlySet<string>;
  pfPlist?: string;
  pfLoaded: boolean;
  anchor?: string;
}

/** One thing to do. Paths include the root (`--root`, for tests; empty on a real machine). */
export type Step =
  | { kind: "write"; path: string; content: string }
  | { kind: "remove"; path: string }
  | {
    kind: "run";
    argv: string[]; /** a failure is expected and harmless (e.g. unloading) */
    mayFail?: boolean;
  };

function xml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function plist(label: string, argv: readonly string[]): string {
  const args = argv.map((a) => `    <string>${xml(a)}</string>`).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xml(label)}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
</dict>
</plist>
`;
}

/** The alias daemon: at every boot, one `ifconfig lo0 alias <ip> up` per pool IP. */
export function aliasPlist(ips: readonly string[]): string {
  const script = ips.map((ip) => `/sbin/ifconfig lo0 alias ${ip} up`).join("; ");
  return plist(ALIAS_LABEL, ["/bin/sh", "-c", script]);
}

/** The pf daemon: at every boot, enable pf and load the treehouse anchor. */
export function pfPlist(): string {
  return plist(PF_LABEL, ["/sbin/pfctl", "-E", "-a", PF_ANCHOR, "-f", PF_ANCHOR_FILE]);
}

/** The anchor's rules: `:80` and `:443` of every pool IP to {@link PF_HTTP_PORT} / {@link PF_HTTPS_PORT}. */
export function pfAnchor(ips: readonly string[]): string {
  const rules = ips.flatMap((ip) => [
    `rdr pass on lo0 inet proto tcp from any to ${ip} port 80 -> ${ip} port ${PF_HTTP_PORT}`,
    `rdr pass on lo0 inet proto tcp from any to ${ip} port 443 -> ${ip} port ${PF_HTTPS_PORT}`,
  ]);
  return `# treehouse: <ip>:80 -> <ip>:${PF_HTTP_PORT}, <ip>:443 -> <ip>:${PF_HTTPS_PORT} for every pool IP; ` +
    `written by \`treehouse setup --ports\`\n${rules.map((r) => `${r}\n`).join("")}`;
}

/** Whether an installed anchor sends `ip`'s ports 80 and 443 to the front's ports. Pure. */
export function anchorCovers(anchor: string | undefined, ip: string): boolean {
  return anchor !== undefined &&
    anchor.includes(`to ${ip} port 443 -> ${ip} port ${PF_HTTPS_PORT}\n`) &&
    anchor.includes(`to ${ip} port 80 -> ${ip} port ${PF_HTTP_PORT}\n`);
}

/** What setup wants. */
export interface Wanted {
  ips: readonly string[];
  /** `--ports`: redirect :80 and :443 of every pool IP (false: leave pf alone). */
  ports?: boolean;
  /** Prefix of every file path (tests); plist contents always name the real paths. */
  root?: string;
}

function daemonSteps(
  label: string,
  path: string,
  content: string,
  current: string | undefined,
  loaded: boolean,
): Step[] {
  const steps: Step[] = [];
  if (current !== content) {
    steps.push({ kind: "write", path, content });
    if (loaded) steps.push({ kind: "run", argv: ["launchctl", "bootout", `system/${label}`], mayFail: true });
    steps.push({ kind: "run", argv: ["launchctl", "bootstrap", "system", path] });
  } else if (!loaded) {
    steps.push({ kind: "run", argv: ["launchctl", "bootstrap", "system", path] });
  }
  return steps;
}

/** The steps from `state` to `wanted`; empty when everything is already in place (idempotent). */
export function planSetup(state: MacState, wanted: Wanted): Step[] {
  const root = wanted.root ?? "";
  const steps = daemonSteps(
    ALIAS_LABEL,
    root + ALIAS_PLIST,
    aliasPlist(wanted.ips),
    state.aliasPlist,
    state.aliasLoaded,
  );
  // launchd runs the daemon asynchronously: add missing aliases now so they can be verified at once.
  for (const ip of wanted.ips) {
    if (!state.aliases.has(ip)) steps.push({ kind: "run", argv: ["ifconfig", "lo0", "alias", ip, "up"] });
  }
  // The pool shrank or moved: the aliases only the previous plist added go.
  const keep = new Set(wanted.ips);
  for (const ip of plistIps(state.aliasPlist)) {
    if (!keep.has(ip) && ip !== "127.0.0.1" && state.aliases.has(ip)) {
      steps.push({ kind: "run", argv: ["ifconfig", "lo0", "-alias", ip] });
    }
  }
  if (wanted.ports) {
    const anchor = pfAnchor(wanted.ips);
    if (state.anchor !== anchor) {
      steps.push({ kind: "write", path: root + PF_ANCHOR_FILE, content: anchor });
      steps.push({ kind: "run", argv: ["pfctl", "-a", PF_ANCHOR, "-f", root + PF_ANCHOR_FILE] });
    }
    steps.push(...daemonSteps(PF_LABEL, root + PF_PLIST, pfPlist(), state.pfPlist, state.pfLoaded));
  }
  return steps;
}

/** The steps that remove everything setup added: daemons, plists, the pool's aliases, pf rules. */
export function planUninstall(state: MacState, poolIps: readonly string[], root = ""): Step[] {
  const steps: Step[] = [];
  if (state.pfLoaded) {
    steps.push({ kind: "run", argv: ["launchctl", "bootout", `system/${PF_LABEL}`], mayFail: true });
  }
  if (state.pfPlist !== undefined) steps.push({ kind: "remove", path: root + PF_PLIST });
  if (state.anchor !== undefined) {
    steps.push({ kind: "run", argv: ["pfctl", "-a", PF_ANCHOR, "-F", "all"], mayFail: true });
    steps.push({ kind: "remove", path: root + PF_ANCHOR_FILE });
  }
  if (state.aliasLoaded) {
    steps.push({ kind: "run", argv: ["launchctl", "bootout", `system/${ALIAS_LABEL}`], mayFail: true });
  }
  if (state.aliasPlist !== undefined) steps.push({ kind: "remove", path: root + ALIAS_PLIST });
  for (const ip of new Set([...poolIps, ...plistIps(state.aliasPlist)])) {
    if (ip !== "127.0.0.1" && state.aliases.has(ip)) {
      steps.push({ kind: "run", argv: ["ifconfig", "lo0", "-alias", ip] });
    }
  }
  return steps;
}

/** The IPs an installed alias plist adds (so a changed pool still removes what setup added). */
export function plistIps(plist: string | undefined): string[] {
  return [...(plist ?? "").matchAll(/ifconfig lo0 alias (\d+\.\d+\.\d+\.\d+) up/g)].map((m) => m[1]!);
}

/** Reads the IPv4 addresses out of `ifconfig lo0` output. */
export function parseIfconfig(text: string): Set<string> {
  return new Set([...text.matchAll(/^\s*inet (\d+\.\d+\.\d+\.\d+)/gm)].map((m) => m[1]!));
}

/** A step as a line of the printed plan. */
export function describeStep(step: Step, sudo: boolean): string {
  const prefix = sudo ? "sudo " : "";
  if (step.kind === "write") return `${prefix}write ${step.path}`;
  if (step.kind === "remove") return `${prefix}rm ${step.path}`;
  return `${prefix}${step.argv.join(" ")}`;
}
