/** `treehouse port list` and `list-projects`: what is reserved, as a table or JSON. */
import { formatAge } from "../../../core/duration.ts";
import { listReservations, projectCounts } from "../../../registry/reservations.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say, table } from "../../output.ts";
import { keyPath, readRegistry } from "./common.ts";

/** Flags of `port list`. */
export interface ListFlags {
  readonly json?: boolean;
  readonly path?: string;
  readonly project?: string;
}

export default function listPorts(this: AppContext, flags: ListFlags): void {
  const path = flags.path === undefined ? undefined : keyPath(this, flags.path);
  const rows = readRegistry(
    this,
    (registry) =>
      registry.read(() => listReservations(registry, { path, recursive: true, project: flags.project })),
    [],
  );
  if (flags.json) {
    out(this, json(rows));
    return;
  }
  if (rows.length === 0) {
    say(this, "No port reservations" + (path || flags.project ? " match" : " yet"));
    return;
  }
  const now = Date.now();
  out(
    this,
    table(
      ["PORT", "TAG", "PROJECT", "TASK", "LAST USED", "PATH"],
      rows.map((r) => [
        String(r.port),
        r.tag ?? "-",
        r.project ?? "-",
        r.task ?? "-",
        `${formatAge(now - r.last_used_at)} ago`,
        r.path,
      ]),
    ),
  );
}

/** `list-projects`: every project with reservations and how many. */
export function listProjects(this: AppContext, flags: { readonly json?: boolean }): void {
  const rows = readRegistry(this, (registry) => registry.read(() => projectCounts(registry)), []);
  if (flags.json) out(this, json(rows));
  else if (rows.length === 0) say(this, "No projects with reservations");
  else out(this, table(["PROJECT", "RESERVATIONS"], rows.map((r) => [r.project, String(r.reservations)])));
}
