/**
 * Where the dashboard's facts come from: a small interface (so the page, its server and `list
 * --watch` do not care how runs are recorded) and its implementation over the registry: every
 * allocation, with its runs as the control feature lists them (issue 15).
 */
import { renderHostname } from "../../core/hostname-template.ts";
import { type BranchFacts, buildSnapshot, type RunFacts, type Snapshot } from "../../core/dashboard.ts";
import { type AliveCheck, type Allocation, listAllocations } from "../../registry/allocations.ts";
import { dataVersion } from "../../registry/changes.ts";
import { type FrontRecord, liveFronts } from "../../registry/fronts.ts";
import { Registry } from "../../registry/registry.ts";
import { type ControlDeps, listRuns, type RunView } from "../control/runs.ts";

/** What the dashboard reads. */
export interface DashboardSource {
  /** A number that changes when the registry changed (cheap: called every ~500 ms). */
  changeMark(): number;
  /** Every project's branches at `now`. */
  snapshot(now: number): Promise<Snapshot>;
  /** Releases the registry connection. */
  close(): void;
}

/** What {@link registrySource} needs. */
export interface RegistrySourceOptions {
  /** The registry file; it may not exist yet (the page then shows its empty state). */
  path: string;
  hostnameTemplate?: string;
  defaultPort: number;
  /** Is the recorded process still the one recorded? */
  isAlive: AliveCheck;
  signal?: (pid: number, signal: Deno.Signal) => boolean;
}

/** The control feature's collaborators over an open registry. */
export function controlDeps(
  registry: Registry,
  options: Pick<RegistrySourceOptions, "hostnameTemplate" | "isAlive" | "signal">,
): ControlDeps {
  const template = options.hostnameTemplate ?? "{branch}.local";
  return {
    registry,
    isAlive: options.isAlive,
    now: Date.now,
    hostFor: (label, project) => renderHostname(template, label, project),
    signal: options.signal,
  };
}

/** A source reading the registry at `options.path` over one long-lived connection. */
export function registrySource(options: RegistrySourceOptions): DashboardSource {
  let registry: Registry | undefined;
  const open = () => (registry ??= Registry.openIfExists(options.path));
  return {
    changeMark() {
      const r = open();
      return r ? dataVersion(r) : -1;
    },
    async snapshot(now) {
      const r = open();
      if (!r) return buildSnapshot([], now);
      const runs = await listRuns(controlDeps(r, options));
      const allocations = listAllocations(r);
      const fronts = liveFronts(r, options.isAlive);
      return buildSnapshot(allocations.map((a) => factsOf(a, runs, fronts.get(a.id), options)), now);
    },
    close() {
      registry?.close();
      registry = undefined;
    },
  };
}

function factsOf(
  a: Allocation,
  all: readonly RunView[],
  front: FrontRecord | undefined,
  options: RegistrySourceOptions,
): BranchFacts {
  const port = a.port ?? options.defaultPort;
  const host = renderHostname(options.hostnameTemplate ?? "{branch}.local", a.hostname, a.project_path);
  const runs: RunFacts[] = all.filter((r) => r.project_path === a.project_path && r.branch === a.branch)
    .map((r) => ({
      service: r.service,
      port: r.port,
      state: r.state,
      pid: r.pid,
      startedAt: r.wrapper_pid === null ? null : r.started_at,
      restarts: r.restarts,
      live: r.wrapper_pid !== null,
      extraUrls: r.name === null ? [] : [`${r.url}/`],
    }));
  // A server recorded only on the allocation (a run from before runs were records): running.
  if (runs.length === 0 && a.pid !== null && options.isAlive(a.pid, a.pid_started_at)) {
    runs.push({
      service: "web",
      port,
      state: "running",
      pid: a.pid,
      startedAt: a.pid_started_at,
      restarts: 0,
    });
  }
  return {
    project: a.project_path,
    branch: a.branch,
    host,
    ip: a.ip,
    db: a.db_name,
    port,
    lastSeenAt: a.last_seen_at,
    runs,
    frontUrls: front ? [front.https_url, front.url].filter((u): u is string => u !== null).map(slash) : [],
  };
}

function slash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
