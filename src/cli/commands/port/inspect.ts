/** `treehouse port info PORT` (alias `port-info`) and `treehouse port scan`: what holds ports now. */
import { UsageError } from "../../../errors.ts";
import { allExclusions, holderName } from "../../../services/reserve/reserve.ts";
import { compactSpans, formatSpans, inSpans, parseSpan, type PortSpan } from "../../../core/spans.ts";
import {
  addExclusion,
  findByPort,
  listExclusions,
  replaceExclusions,
} from "../../../registry/reservations.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say, table } from "../../output.ts";
import type { Registry } from "../../../registry/registry.ts";
import { policyOf, readRegistry, settingsOf, withRegistry } from "./common.ts";

/** Runs `fn` with the registry if it exists, else with `undefined` (nothing is reserved). */
function withExistingRegistry<T>(ctx: AppContext, fn: (registry: Registry | undefined) => T): T {
  let ran = false;
  const result = readRegistry(ctx, (registry) => {
    ran = true;
    return fn(registry);
  }, undefined as T | undefined);
  return ran ? result as T : fn(undefined);
}

/** `port-info PORT`: who reserved it, whether it is excluded, in use now, and by which process. */
export default function portInfo(this: AppContext, flags: { readonly json?: boolean }, port: number): void {
  const settings = settingsOf(this);
  const policy = policyOf(settings);
  const { reservation, excluded } = readRegistry(this, (registry) => ({
    reservation: registry.read(() => findByPort(registry, port)),
    excluded: inSpans(port, allExclusions(registry, policy)),
  }), { reservation: undefined, excluded: inSpans(port, policy.excludedPorts) });
  const occupancy = this.host.probe({ tcp: true, udp: true, ipv4: true, ipv6: true })(port);
  const owners = occupancy.occupied ? this.host.portOwners(port) : [];
  const info = {
    port,
    reservation: reservation ?? null,
    in_range: port >= settings.portRange.first && port <= settings.portRange.last,
    excluded,
    occupied: occupancy.occupied,
    occupied_by: occupancy.by,
    processes: owners,
  };
  if (flags.json) {
    out(this, json(info));
    return;
  }
  const lines = [
    `port:      ${port}`,
    `reserved:  ${reservation ? holderName(reservation) : "no"}`,
  ];
  if (reservation?.project) {
    lines.push(`project:   ${reservation.project}${reservation.task ? ` (${reservation.task})` : ""}`);
  }
  lines.push(`range:     ${info.in_range ? "inside" : "outside"} ${formatSpans([settings.portRange])}`);
  lines.push(`excluded:  ${excluded ? "yes" : "no"}`);
  lines.push(`in use:    ${occupancy.occupied ? `yes (${occupancy.by.join(", ")})` : "no"}`);
  for (const o of owners) lines.push(`process:   ${o.pid} ${o.command} (${o.protocol})`);
  if (occupancy.occupied && owners.length === 0) {
    lines.push("process:   unknown (another user's process, or this OS does not say)");
  }
  out(this, `${lines.join("\n")}\n`);
}

/** Flags of `scan`. */
export interface ScanFlags {
  readonly range?: string;
  readonly autoexclude?: boolean;
  readonly json?: boolean;
}

/** `scan`: which ports of the range are in use now; `--autoexclude` excludes the unreserved ones. */
export function scan(this: AppContext, flags: ScanFlags): void {
  const settings = settingsOf(this);
  let range: PortSpan = settings.portRange;
  if (flags.range !== undefined) {
    const parsed = parseSpan(flags.range);
    if (!parsed) {
      throw new UsageError(`Invalid --range "${flags.range}"`, { hint: "Use FIRST-LAST, e.g. 5000-5100" });
    }
    range = parsed;
  }
  const probe = this.host.probe(settings.occupancy);
  // Only --autoexclude writes (and so may create the registry); a plain scan reads.
  const found = (flags.autoexclude ? withRegistry : withExistingRegistry)(this, (registry) => {
    const rows: { port: number; by: string[]; reserved_by: string | null }[] = [];
    for (let p = range.first; p <= range.last; p++) {
      const o = probe(p);
      if (!o.occupied) continue;
      const r = registry?.read(() => findByPort(registry, p));
      rows.push({ port: p, by: o.by, reserved_by: r ? holderName(r) : null });
    }
    if (flags.autoexclude) {
      const fresh = rows.filter((r) => r.reserved_by === null).map((r) => ({ first: r.port, last: r.port }));
      const now = Date.now();
      const writable = registry as Registry; // --autoexclude opened it for writing
      writable.write(() => {
        for (const s of fresh) addExclusion(writable, s, now);
        replaceExclusions(writable, compactSpans(listExclusions(writable)), now);
      });
      say(this, `Excluded ${fresh.length} occupied unreserved port(s)`);
    }
    return rows;
  });
  if (flags.json) out(this, json(found));
  else if (found.length === 0) say(this, `No port in ${formatSpans([range])} is in use`);
  else {
    out(
      this,
      table(
        ["PORT", "IN USE", "RESERVED BY"],
        found.map((r) => [String(r.port), r.by.join(","), r.reserved_by ?? "-"]),
      ),
    );
  }
}
