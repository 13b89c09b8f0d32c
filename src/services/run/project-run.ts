/**
 * The project side of `treehouse run` (issue 16): which service and command to start (the `[run]`
 * table, the framework preset, the remembered port), whether the user agreed to a command the project
 * brought, the framework's host-check notice (once per project), and the check of where the server
 * bound. No printing: the CLI says what these return.
 */
import { projectReader } from "../../adapters/project-files.ts";
import type { Host } from "../../adapters/platform/host.ts";
import type { ProbeFactory } from "../reserve/reserve.ts";
import { type BindVerdict, bindWarning, judgeBind } from "../../core/bind-check.ts";
import { expandPlaceholders } from "../../core/child-env.ts";
import { findPreset, type HostNotice, hostNotice, PRESETS } from "../../core/presets.ts";
import type { RunCollaborator } from "./types.ts";
import { consentHash, planRun, type RunPlan, type RunRequest } from "../../core/run-plan.ts";
import { DEFAULT_SERVICE, type RunConfig } from "../../core/run-table.ts";
import type { Settings } from "../settings.ts";
import { extraEnv } from "./extra-env.ts";
import type { Registry } from "../../registry/registry.ts";
import {
  firstNotice,
  hasConsent,
  recordConsent,
  recordedPort,
  recordPort,
} from "../../registry/run-defaults.ts";

/** Where the run happens. */
export interface RunKey {
  project_path: string;
  branch: string;
}

/** Works out the run from the request, the `[run]` table and the remembered port. */
export function prepareRun(
  registry: Registry,
  key: RunKey,
  request: RunRequest,
  context: {
    config?: RunConfig;
    defaultPort: number;
    env: (name: string) => string | undefined;
    cwd: string;
  },
): RunPlan {
  return planRun(request, {
    ...context,
    recordedPort: (service) => recordedPort(registry, { ...key, service }),
    scripts: (dir) => {
      const text = projectReader(dir ?? context.cwd)("package.json");
      try {
        const scripts = text === undefined ? undefined : JSON.parse(text)?.scripts;
        return typeof scripts === "object" && scripts !== null ? scripts : undefined;
      } catch {
        return undefined;
      }
    },
  });
}

/** Remembers an explicit `--port` for the branch's service (a run without one never changes it). */
export function rememberPort(registry: Registry, key: RunKey, plan: RunPlan, now: number): void {
  if (plan.portSource === "flag") recordPort(registry, { ...key, service: plan.service }, plan.port, now);
}

/** The consent a `[run]` command needs: undefined when none is needed or it was given before. */
export async function pendingConsent(
  registry: Registry,
  project_path: string,
  plan: RunPlan,
): Promise<{ hash: string } | undefined> {
  if (!plan.fromConfig || plan.consentSubject === undefined) return undefined;
  const hash = await consentHash(plan.consentSubject);
  return hasConsent(registry, project_path, plan.service, hash) ? undefined : { hash };
}

/** Remembers the user's yes for this project, service and content. */
export function giveConsent(
  registry: Registry,
  project_path: string,
  plan: RunPlan,
  hash: string,
  now: number,
): void {
  recordConsent(registry, project_path, plan.service, hash, now);
}

/**
 * The preset's host-check notice, the first time for this project and line; undefined when the
 * project's files already have the fix, the preset handles it, or it was shown before.
 */
export function hostNoticeOnce(
  registry: Registry,
  project_path: string,
  dir: string,
  plan: RunPlan,
  values: { ip: string; host: string },
  now: number,
): HostNotice | undefined {
  const preset = plan.preset && PRESETS.find((p) => p.id === plan.preset?.id);
  if (!preset) return undefined;
  const notice = hostNotice(preset, projectReader(dir), values);
  if (!notice) return undefined;
  const key = `host:${preset.id}:${notice.where}:${notice.line.replace(values.ip, "{ip}")}`;
  return firstNotice(registry, project_path, key, now) ? notice : undefined;
}

/** Polls where the server listens until it is known, for the bind check. */
export interface BindWatch {
  /** Checks once now (after `--ready`); off the event loop, so it resolves with the verdict. */
  checkNow(): Promise<BindVerdict>;
  stop(): void;
}

/**
 * Watches the port after the server's start (every `everyMs`, at most `forMs`) and calls `onVerdict`
 * once with the first verdict other than `none`. Addresses listening before the start (`before`, read
 * before the spawn; else read now) do not count. Every read is asynchronous: right after the spawn the
 * event loop carries the HTTPS front's held connections, and a sync read of the kernel's tables held it.
 */
export function watchBind(
  o: {
    ip: string;
    port: number;
    host: Host;
    everyMs: number;
    forMs: number;
    before?: Promise<string[]>;
    onVerdict(v: BindVerdict): void;
  },
): BindWatch {
  const before = o.before ?? o.host.listenersAsync(o.port);
  const started = Date.now();
  let done = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = async (): Promise<BindVerdict> => {
    let verdict: BindVerdict;
    try {
      verdict = judgeBind(await o.host.listenersAsync(o.port), o.ip, await before);
    } catch {
      return { kind: "none" }; // this check only advises
    }
    if (!done && verdict.kind !== "none") {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      o.onVerdict(verdict);
    }
    return verdict;
  };
  const tick = async () => {
    timer = undefined;
    if (done) return;
    await check();
    if (!done && Date.now() - started < o.forMs) timer = setTimeout(tick, o.everyMs);
  };
  timer = setTimeout(tick, o.everyMs);
  return {
    checkNow: check,
    stop: () => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/**
 * The port and variables `run` would pass for the branch's default service, for `env` and `info`:
 * `TREEHOUSE_PORT` (remembered, else `[run]`'s, else the default) and the reservation group's
 * ports. With `reserve` the group is reserved as `run` does; without, only existing reservations show.
 */
export async function branchVariables(
  registry: Registry,
  key: RunKey,
  settings: Settings,
  reserve: boolean,
  probeFor: ProbeFactory,
): Promise<{ port: number; vars: Record<string, string> }> {
  const service = settings.run?.services.find((s) => s.name === DEFAULT_SERVICE);
  const port = recordedPort(registry, { ...key, service: DEFAULT_SERVICE }) ?? service?.port ??
    settings.defaultPort;
  const vars: Record<string, string> = { TREEHOUSE_PORT: String(port) };
  if (reserve) Object.assign(vars, await extraEnv(registry, settings, probeFor));
  else if (settings.group) {
    const group = settings.group;
    const { findReservation } = await import("../../registry/reservations.ts");
    for (const member of group.members) {
      const found = registry.read(() => findReservation(registry, group.dir, member.tag));
      if (found) vars[member.env] = String(found.port);
    }
  }
  return { port, vars };
}

/**
 * The collaborator that carries a prepared plan into the run: remembers an explicit `--port`, sets
 * `[run].env` and the preset's variables, says in the banner what the preset added, shows the host-check
 * notice once, and checks where the server bound (warning for localhost and wildcard addresses).
 */
export function projectCollaborator(
  plan: RunPlan,
  options: { presetOff: boolean; noticeDir: string; host: Host },
): RunCollaborator {
  let watch: BindWatch | undefined;
  let before: Promise<string[]> | undefined;
  return {
    name: "project",
    prepare(session) {
      const { deps, values } = session;
      const key = { project_path: session.allocation.project_path, branch: session.allocation.branch };
      rememberPort(deps.registry, key, plan, deps.now());
      // Who listens on the port before the server starts, read off the loop while the run prepares.
      before = options.host.listenersAsync(values.port).catch(() => []);
      for (const [name, value] of Object.entries(plan.env)) {
        session.setEnv(name, expandPlaceholders(value, values));
      }
      if (plan.service !== DEFAULT_SERVICE) session.addBannerRow("Service", plan.service);
      if (plan.preset && plan.preset.added.length > 0) {
        const added = plan.preset.added.map((a) => expandPlaceholders(a, values)).join(" ");
        session.addBannerRow("Preset", `${plan.preset.name}: added ${added}`);
      }
      const notice = hostNoticeOnce(
        deps.registry,
        key.project_path,
        options.noticeDir,
        plan,
        values,
        deps.now(),
      );
      if (notice) {
        deps.output.warn(
          `${notice.why}: ${notice.create ? "create" : "add to"} ${notice.where} (shown once):\n  ${
            notice.line.replaceAll("\n", "\n  ")
          }`,
        );
      }
    },
    spawned(session) {
      if (watch) return;
      const { values, deps } = session;
      watch = watchBind({
        ip: values.ip,
        port: values.port,
        host: options.host,
        everyMs: options.host.os === "linux" ? 250 : 2000,
        forMs: 60_000,
        before,
        onVerdict: (verdict) => {
          const text = bindWarning(verdict, {
            ip: values.ip,
            port: values.port,
            host: values.host,
            presetId: findPreset(plan.words)?.preset.id ?? plan.preset?.id,
            presetOff: options.presetOff,
          });
          if (text) deps.output.warn(text);
        },
      });
    },
    ready() {
      void watch?.checkNow();
    },
    stopping() {
      watch?.stop();
    },
  };
}
