/**
 * `treehouse run` as a use case: allocate the branch, check its IP:port, start the command with the
 * branch's variables under supervision, and let the collaborators (the allocation's liveness, mDNS,
 * and new features) do their part at each step. No parsing, no printing: everything comes in
 * `RunDeps` and goes out through `deps.output`.
 */
import { hostFor } from "../../core/hostname-template.ts";
import { childVariables, expandPlaceholders, type RunValues, urlFor } from "../../core/child-env.ts";
import { pipedOutputEnv } from "../../core/piped-output.ts";
import { TimeoutError } from "../../errors.ts";
import { getOrAllocate } from "../../registry/allocations.ts";
import { relabel } from "../../registry/liveness.ts";
import { machineLabels } from "../../adapters/machine-name.ts";
import { runLabel } from "../../registry/runs.ts";
import { announceCollaborator } from "./announce.ts";
import { RunControl } from "./control.ts";
import { extraEnv } from "./extra-env.ts";
import { livenessCollaborator } from "./liveness.ts";
import { ensurePortFree } from "./port-check.ts";
import { parseReady } from "./ready.ts";
import { readyProbe } from "../../core/run-plan.ts";
import { supervise } from "./supervisor.ts";
import type { RunCollaborator, RunDeps, RunRequest, RunSession } from "./types.ts";

/** How a run ended: the exit code the wrapper should exit with (the child's, or 128+N). */
export interface RunOutcome {
  code: number;
}

/**
 * Runs the server until it ends for good. Throws a TreehouseError for what stops it before the child
 * starts (port taken, command not found, a collaborator's refusal) and when `--ready` times out.
 */
export async function runServer(deps: RunDeps, request: RunRequest): Promise<RunOutcome> {
  const { registry, settings } = { registry: deps.registry, settings: request.settings };
  const now = deps.now();
  let { allocation, created } = getOrAllocate(registry, {
    ...request.target,
    pool: settings.pool,
    now,
    reclaimAfterMs: settings.reclaimAfterMs,
    isAlive: deps.process.isAlive,
    reserved: machineLabels,
  });
  if (!created && machineLabels().includes(allocation.hostname)) {
    // Made before treehouse kept the machine's own name free: it would take over <host>.local.
    const old = allocation.hostname;
    allocation = relabel(registry, allocation, old, machineLabels());
    deps.output.warn(
      `${old}.local is this machine's own mDNS name: this branch is ${allocation.hostname} now`,
    );
  }
  // `--name` is an extra name for this run's lifetime (made unique); the branch keeps its own.
  const label = request.name === undefined
    ? allocation.hostname
    : runLabel(registry, allocation, request.name, machineLabels());

  if (request.hosts) {
    await (await import("./hosts-at-start.ts")).syncHostsAtStart(deps, settings.hostnameTemplate);
  }
  const host = hostFor({ ...allocation, hostname: label }, settings.hostnameTemplate);
  const port = request.port;
  const values: RunValues = {
    ip: allocation.ip,
    port,
    host,
    url: urlFor(host, port),
    branch: allocation.branch,
    db: allocation.db_name,
  };
  // `--ready '{url}/health'`: placeholders filled in; a URL on the branch's own name is probed on its IP.
  const readyText = request.ready === undefined ? undefined : expandPlaceholders(request.ready, values);
  const ready = readyText === undefined
    ? undefined
    : parseReady(readyProbe(readyText, values), allocation.ip, request.ready);
  ensurePortFree(deps, allocation.ip, port, allocation.pid);

  const runId = deps.runId(now);
  const env = childVariables(values, {
    envPort: request.envPort,
    runId,
    extra: await extraEnv(registry, settings, deps.net.probe),
  });
  // Expanded after the collaborators' prepare (they may set the URL and {cert} {key}); until then, as is.
  let executable = expandPlaceholders(request.command, values);
  let args = request.args.map((a) => expandPlaceholders(a, values));

  // The watchdog and the heartbeat timer start right after the child (see the liveness collaborator): a
  // process's first spawn and first timer each cost the runtime ~7-13 ms, which the server need not wait for.
  const watchdog = deps.process.watchdog(request.killTimeoutMs);
  watchdog.tag(runId);
  const control = new RunControl(now);
  const bannerRows: [string, string][] = [];
  const taps: ((chunk: Uint8Array, stream: "stdout" | "stderr") => void)[] = [];
  let preparing = true;
  const duringPrepare = (what: string) => {
    if (!preparing) throw new Error(`RunSession.${what} is only possible during prepare`);
  };
  const session: RunSession = {
    request,
    deps,
    allocation,
    label,
    values,
    runId,
    command: [executable, ...args],
    control,
    watchdog,
    setEnv: (name, value) => {
      duringPrepare("setEnv");
      env[name] = value;
    },
    addBannerRow: (label, value) => {
      duringPrepare("addBannerRow");
      bannerRows.push([label, value]);
    },
    tapOutput: (tap) => {
      duringPrepare("tapOutput");
      taps.push(tap);
    },
    setValues: (changes) => {
      duringPrepare("setValues");
      Object.assign(values, changes);
    },
  };
  const collaborators: RunCollaborator[] = [
    livenessCollaborator(),
    ...(request.mdns ? [announceCollaborator()] : []),
    ...deps.collaborators,
  ];
  const prepared: RunCollaborator[] = [];
  const each = (hook: "spawned" | "ready", call: (c: RunCollaborator) => void) => {
    for (const c of collaborators) {
      if (!c[hook]) continue;
      try {
        call(c);
      } catch (error) {
        deps.output.warn(`${c.name}: ${(error as Error).message}`);
      }
    }
  };
  try {
    for (const c of collaborators) {
      await c.prepare?.(session);
      prepared.push(c);
    }
    preparing = false;
    executable = expandPlaceholders(request.command, values);
    args = request.args.map((a) => expandPlaceholders(a, values));
    (session as { command: readonly string[] }).command = [executable, ...args];
    if (!request.quiet) {
      deps.output.banner({
        branch: values.branch,
        url: values.url,
        rows: [
          ["Branch", values.branch],
          ["IP", values.ip],
          ["Hostname", values.host],
          ["URL", values.url],
          ["Database", values.db],
          ["Command", [executable, ...args].join(" ")],
          ...bannerRows,
        ],
      });
    }
    const capture = ready !== undefined || taps.length > 0;
    if (capture) {
      // The output goes through a pipe to our terminal: colours and prompt lines as if it were theirs.
      for (const [name, value] of Object.entries(pipedOutputEnv(deps.env, deps.process.stdoutIsTerminal()))) {
        env[name] ??= value;
      }
    }
    const result = await supervise({
      command: executable,
      args,
      env,
      cwd: deps.cwd,
      tty: deps.process.stdinIsTerminal(),
      runId,
      killTimeoutMs: request.killTimeoutMs,
      restart: request.restart,
      backoffMs: request.backoffMs,
      capture,
      ready: ready && { target: ready, timeoutMs: request.readyTimeoutMs },
      watchdog,
      process: deps.process,
      now: deps.now,
      control,
      onSpawn: (pid) => each("spawned", (c) => c.spawned?.(session, pid)),
      onReady: (first) => {
        if (first && ready) deps.output.ready(values.url);
        each("ready", (c) => c.ready?.(session));
      },
      onOutput: taps.length > 0 ? (chunk, stream) => taps.forEach((tap) => tap(chunk, stream)) : undefined,
      say: (text) => deps.output.info(text),
    });
    if (result.readyTimedOut) {
      const seconds = request.readyTimeoutMs / 1000;
      const lines = result.tail.length
        ? `; its last output:\n${result.tail.map((l) => `  ${l}`).join("\n")}`
        : "";
      deps.output.info(
        `treehouse: ${executable} did not answer on ${readyText} within ${seconds}s${lines}`,
      );
      throw new TimeoutError(`Not ready after ${seconds}s: ${readyText}`, {
        hint: "treehouse stopped the command: check its output above, or raise --ready-timeout",
      });
    }
    return { code: result.code };
  } finally {
    for (const c of prepared.toReversed()) {
      try {
        await c.stopping?.(session);
      } catch (error) {
        deps.output.warn(`${c.name}: ${(error as Error).message}`);
      }
    }
    await watchdog.release();
  }
}
