/** `treehouse port reserve`: the port of (path, tag), reserved on first use; only the number on stdout. */
import { parseDuration } from "../../../core/duration.ts";
import { reserve } from "../../../services/reserve/reserve.ts";
import type { AppContext } from "../../context.ts";
import { out, say } from "../../output.ts";
import { inferFromGit } from "../../../services/reserve/infer.ts";
import { keyPath, policyOf, settingsOf, tagOf, withRegistry } from "./common.ts";

/** Flags of `port reserve`. */
export interface ReserveFlags {
  readonly path?: string;
  readonly tag?: string;
  readonly port?: number;
  readonly project?: string;
  readonly task?: string;
  readonly force?: boolean;
  readonly allowProjectChange?: boolean;
  readonly allowTaskChange?: boolean;
  readonly ttl?: string;
  readonly allowExcluded?: boolean;
  readonly allowOccupied?: boolean;
  readonly json?: boolean;
}

export default function reservePort(this: AppContext, flags: ReserveFlags): void {
  const path = keyPath(this, flags.path);
  const tag = tagOf(flags.tag);
  const ttlMs = flags.ttl === undefined ? undefined : parseDuration(flags.ttl, "--ttl");
  const settings = settingsOf(this);
  const inferred = flags.project === undefined || flags.task === undefined
    ? inferFromGit(path, this.env)
    : undefined;
  const result = withRegistry(this, (registry) =>
    reserve(registry, policyOf(settings), {
      path,
      tag,
      preferred: flags.port,
      project: flags.project ?? inferred?.project ?? null,
      task: flags.task ?? inferred?.task ?? null,
      explicitProject: flags.project !== undefined,
      explicitTask: flags.task !== undefined,
      force: flags.force ?? false,
      allowProjectChange: flags.allowProjectChange ?? false,
      allowTaskChange: flags.allowTaskChange ?? false,
      ttlMs,
      allowExcluded: flags.allowExcluded ?? false,
      allowOccupied: flags.allowOccupied ?? false,
      now: Date.now(),
    }, this.host.probe));
  if (result.cleaned.length > 0) {
    say(this, `Port range was full: removed ${result.cleaned.length} stale reservation(s)`);
  }
  for (const note of result.notes) say(this, note);
  if (flags.json) {
    out(this, `${JSON.stringify({ ...result.reservation, created: result.created }, null, 2)}\n`);
  } else out(this, `${result.reservation.port}\n`);
}
