/**
 * `treehouse run --detach [run flags] -- CMD`: the same supervised run in the background, its output
 * in a log file; prints the URL once it is ready (exit 0), or the log's last lines and the reason
 * (non-zero) when it exits or times out first, leaving nothing running.
 */
import { DEFAULT_SERVICE } from "../../../core/run-table.ts";
import { logPathFor } from "../../../adapters/log-file.ts";
import { sendSignal, spawn } from "../../../adapters/process/spawn.ts";
import { selfInvocation } from "../../../adapters/self-exec.ts";
import { shortHash } from "../../../core/hash.ts";
import { renderHostname } from "../../../core/hostname-template.ts";
import { TimeoutError } from "../../../errors.ts";
import { registryPath } from "../../../registry/path.ts";
import { startDetached } from "../../../services/control/detach.ts";
import { viewOfRun } from "../../../services/control/runs.ts";
import { loadSettings } from "../../../services/settings.ts";
import { plannedRun } from "../../run-consent.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say, warn } from "../../output.ts";
import { openRegistry, resolveTarget } from "../../target.ts";
import { runJson, withFront } from "./common.ts";
import type { RunFlags } from "../../run-deps.ts";

/** The run flags `--detach` passes on (everything but itself). */
export type DetachFlags = RunFlags;

/** The run flags as command-line words again (`--name=value`, so values starting with `-` survive). */
export function flagWords(flags: object): string[] {
  const words: string[] = [];
  for (const [key, value] of Object.entries(flags)) {
    if (key === "detach" || key === "json" || key === "logFile" || value === undefined) continue;
    const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    // A false switch is only ever an explicit `--no-…` (or a default-on flag): pass it on as such.
    if (typeof value === "boolean") words.push(value ? `--${kebab}` : `--no-${kebab}`);
    else words.push(`--${kebab}=${String(value)}`);
  }
  return words;
}

export default async function detach(
  this: AppContext,
  flags: DetachFlags,
  ...command: string[]
): Promise<void> {
  const target = resolveTarget(this, flags);
  const dbPath = registryPath(this.dbFlag, this.env);
  const dataDir = dbPath.slice(0, Math.max(1, dbPath.lastIndexOf("/")));
  const service = flags.service ?? DEFAULT_SERVICE;
  const log = logPathFor(dataDir, target.project_path, target.branch, service, (v) => shortHash(v, 8));
  const self = selfInvocation();
  const args = [
    ...self.args,
    ...(this.dbFlag ? ["--db", this.dbFlag] : []),
    "run",
    ...flagWords(flags),
    `--log-file=${log}`,
    ...(command.length > 0 ? ["--", ...command] : []),
  ];
  const readyTimeoutS = flags.readyTimeout ?? 60;
  const registry = openRegistry(this);
  try {
    if (flags.yes !== true) {
      // A command the project's treehouse.toml brought is agreed to here, on the user's terminal: the
      // wrapper has none, so it could only fail with exit 2 and leave the question in its log.
      await plannedRun(this, registry, target, flags, command, loadSettings(this.config, this.cwd));
    }
    const result = await startDetached({
      registry,
      now: Date.now,
      isAlive: this.host.isAlive,
      signal: (pid, signal) => sendSignal(pid, signal, false),
      startWrapper: () => {
        const child = spawn(self.program, {
          args,
          cwd: this.cwd,
          detached: true,
          setsid: this.host.setsid(),
          stdin: "null",
          stdout: "null",
          stderr: "null",
        });
        return { pid: child.pid, exited: child.exited, unref: () => child.process.unref() };
      },
    }, {
      project_path: target.project_path,
      log,
      readyTimeoutMs: readyTimeoutS * 1000,
      killTimeoutMs: (flags.killTimeout ?? 5) * 1000,
    });
    if (result.outcome === "ready") {
      const template = loadSettings(this.config, this.cwd).hostnameTemplate;
      const deps = {
        registry,
        isAlive: this.host.isAlive,
        now: Date.now,
        hostFor: (l: string, p: string) => renderHostname(template, l, p),
      };
      const view = withFront(deps, viewOfRun(deps, result.run));
      // The wrapper's warnings (a taken port, a bind on the wrong address…) are the user's to see, not
      // only the log's.
      for (const text of result.warnings) warn(this, text);
      out(this, flags.json ? json(runJson(view)) : `${view.url}\n`);
      say(this, `treehouse: ${view.branch} (${view.service}) ready, pid ${view.pid}; log: ${log}`);
      return;
    }
    const lines = result.tail.length
      ? `; its last output:\n${result.tail.map((l) => `  ${l}`).join("\n")}`
      : " (no output)";
    if (result.outcome === "timeout") {
      // What happened meanwhile (it crashed and was restarted…), not only that it did not answer.
      const why = result.reason.replace(/^the server/, command[0] ?? "the server");
      say(this, `treehouse: ${why}${lines}`);
      throw new TimeoutError(`Not ready after ${readyTimeoutS}s: the detached run was stopped`, {
        hint: `Check its output (log: ${log}), or raise --ready-timeout`,
      });
    }
    say(this, `treehouse: the detached run exited with code ${result.code} before it was ready${lines}`);
    this.exitCode = result.code;
  } finally {
    registry.close();
  }
}
