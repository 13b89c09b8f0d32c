/**
 * Announcing the run's `<label>.local` over mDNS, as a collaborator: the announcer starts a moment
 * after the server (its start-up would compete with the server's for the CPU, and mDNS takes about a
 * second of probing to answer anyway), is watched by the watchdog, and stops with the run.
 */
import { announceArgs, chooseMdnsTool, type MdnsTool, missingMdnsMessage } from "../../adapters/mdns.ts";
import { multiLabelWarning } from "../../core/hostname-template.ts";
import { sudoCommand } from "../../adapters/self.ts";
import type { AnnouncerLike, RunCollaborator, RunSession } from "./types.ts";

/** How long after the server's start its mDNS announcer starts. */
export const ANNOUNCE_DELAY_MS = 250;

/** What to announce, and with which tool. */
interface AnnouncePlan {
  tool: MdnsTool;
  argsList: string[][];
  host: string;
}

/** The mDNS collaborator of one run (`--no-mdns` leaves it out). */
export function announceCollaborator(): RunCollaborator {
  let announcers: AnnouncerLike[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let planned = false;
  return {
    name: "mDNS",
    spawned(session: RunSession) {
      if (planned) return;
      planned = true;
      const plan = planAnnouncers(session);
      if (!plan) return;
      timer = setTimeout(() => {
        timer = undefined;
        announcers = startAnnouncers(session, plan);
      }, ANNOUNCE_DELAY_MS);
    },
    async stopping() {
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

/** Chooses the announcer for the run; warns once (and returns undefined) when there is none. */
function planAnnouncers(session: RunSession): AnnouncePlan | undefined {
  const { values, deps } = session;
  if (!values.host.endsWith(".local")) {
    deps.output.warn(
      `mDNS only answers .local names, so ${values.host} is not announced: run ${hostsSyncCommand(session)}`,
    );
    return undefined;
  }
  const multi = multiLabelWarning(session.request.settings.hostnameTemplate);
  if (multi) deps.output.warn(multi);
  const label = values.host.slice(0, -".local".length);
  const tool = chooseMdnsTool(
    osOf(session),
    (name) => deps.process.onPath(name, deps.env("PATH")) !== undefined,
  );
  if (!tool) {
    deps.output.warn(missingMdnsMessage(osOf(session), values.host, values.ip, hostsSyncCommand(session)));
    return undefined;
  }
  return {
    tool,
    argsList: announceArgs(tool, { label, ip: values.ip, port: values.port }),
    host: values.host,
  };
}

/** Starts the announcer processes (address, and service where separate). */
function startAnnouncers(session: RunSession, plan: AnnouncePlan): AnnouncerLike[] {
  const { deps, watchdog } = session;
  const started: AnnouncerLike[] = [];
  for (const args of plan.argsList) {
    const announcer = deps.announcers(plan.tool, args, {
      onStart: (pid) => watchdog.watch(-pid),
      onExit: (pid) => watchdog.unwatch(-pid),
      onMessage: (text) => deps.output.warn(text),
    });
    try {
      announcer.start();
      started.push(announcer);
    } catch (error) {
      deps.output.warn(
        `${(error as Error).message}: ${plan.host} will not be announced (the server runs anyway)`,
      );
      break;
    }
  }
  return started;
}
