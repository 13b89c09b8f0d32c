/**
 * What the dashboard and `list --watch` show: every project's branches with their runs, their URLs and
 * one state word each. Pure: the facts come from the registry, `now` from the caller.
 */
import { urlFor } from "./child-env.ts";

/** The state words of a run, as `treehouse status` prints them; `stopped` also for a branch with no run. */
export type RunState = "starting" | "running" | "ready" | "restarting" | "crashed" | "stopped";

/** One run of a branch (a `treehouse run`), as recorded. */
export interface RunFacts {
  /** `--service` name (`web` by default). */
  service: string;
  port: number;
  state: RunState;
  /** The server command's pid, when one runs. */
  pid: number | null;
  /** When the server (re)started, epoch ms. */
  startedAt: number | null;
  restarts: number;
  /** Whether its wrapper still runs (a `crashed` run may be waiting to restart, or over); default: not `stopped`. */
  live?: boolean;
  /** Extra URLs of the run (an HTTPS front, a port-less name), when it has any. */
  extraUrls?: readonly string[];
}

/** One allocation with what is known about it. */
export interface BranchFacts {
  project: string;
  branch: string;
  /** The full hostname, e.g. `feature-x.local`. */
  host: string;
  ip: string;
  db: string;
  /** The allocation's recorded port (or the default) for a branch that has no run. */
  port: number;
  lastSeenAt: number;
  runs: readonly RunFacts[];
  /** URLs of the branch's HTTPS front while it runs (https, port-less http), shown first. */
  frontUrls?: readonly string[];
}

/** A link shown on a branch's row. */
export interface Link {
  href: string;
  label: string;
}

/** One branch's row. */
export interface BranchView {
  /** Stable key of the row: project and branch. */
  id: string;
  project: string;
  branch: string;
  host: string;
  ip: string;
  ports: number[];
  links: Link[];
  /** The row's state: the most telling of its runs' states. */
  state: RunState;
  /** Whether any of its runs is live (stop, restart and logs act on it; release waits). */
  live: boolean;
  /** When its longest-running server started (uptime = now − this), or null. */
  startedAt: number | null;
  restarts: number;
  db: string;
  lastSeenAt: number;
  services: { service: string; port: number; state: RunState; live: boolean }[];
}

/** One project and its branches. */
export interface ProjectView {
  project: string;
  /** The project directory's name. */
  name: string;
  branches: BranchView[];
}

/** Everything the page shows, at `now`. */
export interface Snapshot {
  now: number;
  projects: ProjectView[];
}

/** Order of precedence when a branch's runs disagree: trouble first, then activity. */
const PRECEDENCE: readonly RunState[] = ["crashed", "restarting", "starting", "ready", "running", "stopped"];

/** The state of a branch from its runs' states (`stopped` when it has none). */
export function branchState(states: readonly RunState[]): RunState {
  for (const s of PRECEDENCE) if (states.includes(s)) return s;
  return "stopped";
}

/** True when the run's wrapper still runs (`stop` and `restart` can act on it). */
export function isLiveRun(run: Pick<RunFacts, "state" | "live">): boolean {
  return run.live ?? run.state !== "stopped";
}

/** The http URL of host:port (port-less for 80). */
export function httpUrl(host: string, port: number): string {
  return `${urlFor(host, port)}/`;
}

/** The row key of a branch. */
export function branchKey(project: string, branch: string): string {
  return `${project}\n${branch}`;
}

/** Builds the view of every branch, grouped by project (projects by name, branches by name). */
export function buildSnapshot(facts: readonly BranchFacts[], now: number): Snapshot {
  const groups = new Map<string, BranchView[]>();
  for (const f of facts) {
    const live = f.runs.filter(isLiveRun);
    const ports = f.runs.length > 0 ? unique(f.runs.map((r) => r.port)) : [f.port];
    const links: Link[] = [];
    for (const href of f.frontUrls ?? []) {
      if (!links.some((l) => l.href === href)) links.push({ href, label: href.replace(/\/$/, "") });
    }
    for (const port of ports) {
      const href = httpUrl(f.host, port);
      if (!links.some((l) => l.href === href)) {
        links.push({ href, label: `${f.host}${port === 80 ? "" : `:${port}`}` });
      }
    }
    for (const r of f.runs) {
      for (const href of r.extraUrls ?? []) {
        if (!links.some((l) => l.href === href)) links.push({ href, label: href.replace(/\/$/, "") });
      }
    }
    for (const port of ports) links.push({ href: httpUrl(f.ip, port), label: `${f.ip}:${port}` });
    const starts = live.map((r) => r.startedAt).filter((t): t is number => t !== null);
    const view: BranchView = {
      id: branchKey(f.project, f.branch),
      project: f.project,
      branch: f.branch,
      host: f.host,
      ip: f.ip,
      ports,
      links,
      state: branchState(f.runs.map((r) => r.state)),
      live: live.length > 0,
      startedAt: starts.length > 0 ? Math.min(...starts) : null,
      restarts: f.runs.reduce((sum, r) => sum + r.restarts, 0),
      db: f.db,
      lastSeenAt: f.lastSeenAt,
      services: f.runs.map((r) => ({ service: r.service, port: r.port, state: r.state, live: isLiveRun(r) })),
    };
    const list = groups.get(f.project) ?? [];
    list.push(view);
    groups.set(f.project, list);
  }
  const projects = [...groups.entries()].map(([project, branches]) => ({
    project,
    name: project.split("/").filter(Boolean).pop() ?? project,
    branches: branches.sort((a, b) => a.branch.localeCompare(b.branch)),
  }));
  projects.sort((a, b) => a.name.localeCompare(b.name) || a.project.localeCompare(b.project));
  return { now, projects };
}

/** The snapshot without its clock: two snapshots with equal keys show the same thing. */
export function snapshotKey(snapshot: Snapshot): string {
  return JSON.stringify(snapshot.projects);
}

/** A compact uptime: `45s`, `12m`, `3h 4m`, `2d 5h`. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function unique(ports: number[]): number[] {
  return [...new Set(ports)].sort((a, b) => a - b);
}
