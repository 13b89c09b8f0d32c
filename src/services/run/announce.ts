/**
 * Announcing the run's `<label>.local` over mDNS, as a collaborator: the announcer starts a moment
 * after the server (its start-up would compete with the server's for the CPU, and mDNS takes about a
 * second of probing to answer anyway), is watched by the watchdog, and stops with the run.
 *
 * Where the name goes follows the `mdns` setting: `local` (this machine only: dns-sd `-lo`; the default
 * where the tool can), `lan` (every interface; unset with avahi, which cannot keep names local) or
 * `off`. An outage (the daemon down, the tool failing) is one warning with the fix for this machine,
 * then quiet retries that slow down; a name the network already answers is given up for a
 * disambiguated one, like a collision in the registry.
 */
import {
  announceArgs,
  type AnnouncerFailure,
  chooseMdnsTool,
  isDaemonDown,
  isNameConflict,
  type MdnsTool,
  missingMdnsMessage,
} from "../../adapters/mdns.ts";
import { machineLabels } from "../../adapters/machine-name.ts";
import { mdnsDaemonFix, mdnsInstallCommand, serviceFacts } from "../../adapters/platform/linux.ts";
import { multiLabelWarning } from "../../core/hostname-template.ts";
import { sudoCommand } from "../../adapters/self.ts";
import { relabel } from "../../registry/liveness.ts";
import type { AnnouncerLike, RunCollaborator, RunSession } from "./types.ts";

/** How long after the server's start its mDNS announcer starts. */
export const ANNOUNCE_DELAY_MS = 250;

/** At most this many new names are tried when the network answers ours. */
const MAX_RELABELS = 3;

/** What to announce, and with which tool. */
interface AnnouncePlan {
  tool: MdnsTool;
  label: string;
  /** To this machine only (dns-sd `-lo`). */
  localOnly: boolean;
}

/** The mDNS collaborator of one run (`--no-mdns` leaves it out). */
export function announceCollaborator(): RunCollaborator {
  let announcers: AnnouncerLike[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let planned = false;
  let stopped = false;
  let warned = false;
  let relabels = 0;
  /** The plan being announced (a conflict replaces it). */
  let current: AnnouncePlan | undefined;

  const start = (session: RunSession, plan: AnnouncePlan) => {
    if (stopped) return;
    const { deps, watchdog, values } = session;
    const argsList = announceArgs(
      plan.tool,
      { label: plan.label, ip: values.ip, port: values.port },
      plan.localOnly,
    );
    for (const args of argsList) {
      const announcer = deps.announcers(plan.tool, args, {
        onStart: (pid) => watchdog.watch(-pid),
        onExit: (pid) => watchdog.unwatch(-pid),
        onMessage: (text) => deps.output.warn(text),
        onFailure: (failure) => failed(session, plan, failure),
        // avahi-publish takes another name itself on a collision and goes on: take ours back instead.
        onLine: (line) => {
          if (args[0] === "-a" && isNameConflict(line)) conflicted(session, plan);
        },
      });
      try {
        announcer.start();
        announcers.push(announcer);
      } catch (error) {
        deps.output.warn(
          `${(error as Error).message}: ${plan.label}.local will not be announced (the server runs anyway)`,
        );
        break;
      }
    }
  };

  /** The network already answers `plan.label`: announce a disambiguated label instead (true when it did). */
  const conflicted = (session: RunSession, plan: AnnouncePlan): boolean => {
    const { deps } = session;
    if (stopped || relabels >= MAX_RELABELS || current !== plan) return false;
    let next: string | undefined;
    try {
      next =
        relabel(deps.registry, session.allocation, plan.label, [plan.label, ...machineLabels()]).hostname;
    } catch { /* the registry is busy or the row is gone: keep the name */ }
    if (next === undefined || next === plan.label) return false;
    relabels++;
    deps.output.warn(
      `${plan.label}.local is already answered on the network: announcing ${next}.local instead`,
    );
    const old = announcers;
    announcers = [];
    current = { ...plan, label: next };
    const nextPlan = current;
    void Promise.all(old.map((a) => a.stop())).then(() => start(session, nextPlan));
    return true;
  };

  /** An announcer exited: restart it (true) or not, saying so once per outage. */
  const failed = (session: RunSession, plan: AnnouncePlan, failure: AnnouncerFailure): boolean => {
    const { deps } = session;
    const host = `${plan.label}.local`;
    if (isNameConflict(failure.why) && conflicted(session, plan)) return false;
    // One warning per outage: the first failure, or the first after the announcer ran well again.
    if (warned && !failure.afterHealthyRun) return true;
    warned = true;
    const seconds = Math.round(failure.delayMs / 1000);
    const platform = deps.platform.name === "macos" ? "macos" : "linux";
    deps.output.warn(
      isDaemonDown(failure.why)
        ? `${
          plan.tool === "avahi-publish" ? "avahi-daemon" : "mDNSResponder"
        } is not running (${failure.why}), ` +
          `so ${host} is not announced: start it with \`${
            mdnsDaemonFix(platform, serviceFacts(deps.env("PATH")))
          }\`. treehouse retries quietly, less and less often (up to every 2 min), and announces the name once ` +
          "the daemon answers"
        : `mDNS announcer ${plan.tool} exited (${failure.why}); restarting it in ${seconds}s ` +
          "(further failures are retried quietly, less and less often)",
    );
    return true;
  };

  return {
    name: "mDNS",
    spawned(session: RunSession) {
      if (planned) return;
      planned = true;
      const plan = planAnnouncers(session);
      if (!plan) return;
      current = plan;
      timer = setTimeout(() => {
        timer = undefined;
        start(session, plan);
      }, ANNOUNCE_DELAY_MS);
    },
    async stopping() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const stopping = announcers;
      announcers = [];
      await Promise.all(stopping.map((a) => a.stop()));
    },
  };
}

/** The OS name the mDNS helpers take, from the platform (so `TREEHOUSE_PLATFORM` is honoured). */
function osOf(session: RunSession): string {
  return session.deps.platform.name === "macos" ? "darwin" : "linux";
}

/** The command that puts the names into /etc/hosts, naming the registry in use (root's HOME differs). */
function hostsSyncCommand(session: RunSession): string {
  return sudoCommand(session.deps.registry.path, ["hosts", "sync"]);
}

/**
 * Chooses the announcer for the run from the `mdns` setting; warns once (and returns undefined) when
 * there is none or it cannot do what the setting asks.
 */
function planAnnouncers(session: RunSession): AnnouncePlan | undefined {
  const { values, deps } = session;
  const settings = session.request.settings;
  if (settings.mdns === "off") return undefined;
  if (!values.host.endsWith(".local")) {
    deps.output.warn(
      `mDNS only answers .local names, so ${values.host} is not announced: run ${hostsSyncCommand(session)}`,
    );
    return undefined;
  }
  const multi = multiLabelWarning(settings.hostnameTemplate);
  if (multi) deps.output.warn(multi);
  const label = values.host.slice(0, -".local".length);
  const tool = chooseMdnsTool(
    osOf(session),
    (name) => deps.process.onPath(name, deps.env("PATH")) !== undefined,
  );
  if (!tool) {
    const install = mdnsInstallCommand(serviceFacts(deps.env("PATH")));
    deps.output.warn(
      missingMdnsMessage(osOf(session), values.host, values.ip, hostsSyncCommand(session), install),
    );
    return undefined;
  }
  if (tool === "avahi-publish" && settings.mdns === "local" && settings.sources.mdns !== "default") {
    deps.output.warn(
      `mdns = "local" (${settings.sources.mdns}): avahi cannot announce to this machine only, so ` +
        `${values.host} is not announced. Keep the name on this machine with \`treehouse run --hosts\` or ` +
        `${hostsSyncCommand(session)}, or set mdns = "lan" to announce it on every network interface`,
    );
    return undefined;
  }
  return { tool, label, localOnly: tool === "dns-sd" && settings.mdns === "local" };
}
