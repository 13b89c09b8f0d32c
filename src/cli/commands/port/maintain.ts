/** Maintenance: `prune`, `expire`, `autoclean`, `exclude`, `compact-exclusions`, `migrate`. */
import { DAY_MS } from "../../../core/duration.ts";
import { UsageError } from "../../../errors.ts";
import { cleanReservations, type CleanRules, type Removal } from "../../../services/maintain.ts";
import {
  checkMigrate,
  compactExclusions as compactExclusionsIn,
  excludePorts,
  migrateReservations,
} from "../../../services/reserve/manage.ts";
import { holderName } from "../../../services/reserve/reserve.ts";
import { formatSpans, parseSpan } from "../../../core/spans.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say } from "../../output.ts";
import { keyPath, settingsOf, withRegistry } from "./common.ts";

/** Flags of the clean-up commands. */
export interface CleanFlags {
  readonly dryRun?: boolean;
  readonly days?: number;
  readonly json?: boolean;
}

function clean(ctx: AppContext, flags: Omit<CleanFlags, "days">, rules: Omit<CleanRules, "now">): void {
  const dryRun = flags.dryRun ?? false;
  const removed = withRegistry(
    ctx,
    (registry) => cleanReservations(registry, { ...rules, now: Date.now(), dryRun }),
  );
  report(ctx, removed, dryRun, flags.json ?? false);
}

function report(ctx: AppContext, removed: Removal[], dryRun: boolean, asJson: boolean): void {
  if (asJson) {
    out(ctx, json({ dry_run: dryRun, count: removed.length, removed }));
    return;
  }
  for (const r of removed) out(ctx, `${r.port}\t${holderName(r)}\t${r.reason}\n`);
  say(
    ctx,
    `${dryRun ? "Would remove" : "Removed"} ${removed.length} reservation${removed.length === 1 ? "" : "s"}`,
  );
}

/** `prune`: reservations whose directory no longer exists. */
export function prune(this: AppContext, flags: Omit<CleanFlags, "days">): void {
  clean(this, flags, { prune: true, expired: false });
}

/** `expire --days N`: reservations not used for N days (and those whose --ttl ran out). */
export function expire(this: AppContext, flags: CleanFlags): void {
  if (flags.days === undefined) {
    throw new UsageError("expire needs --days N", { hint: "Example: treehouse port expire --days 30" });
  }
  clean(this, flags, { prune: false, expired: true, olderThanMs: flags.days * DAY_MS });
}

/** `autoclean`: prune and expire (`--days`, default cleanup.expire_after). */
export function autoclean(this: AppContext, flags: CleanFlags): void {
  const olderThanMs = flags.days !== undefined ? flags.days * DAY_MS : settingsOf(this).expireAfterMs;
  clean(this, flags, { prune: true, expired: true, olderThanMs });
}

/** `exclude PORT|A-B`: never hand these ports out (stored in the registry). */
export function exclude(this: AppContext, _flags: Record<string, never>, spec: string): void {
  const span = parseSpan(spec);
  if (!span) {
    throw new UsageError(`Invalid port or range "${spec}"`, {
      hint: "Use PORT or FIRST-LAST, e.g. 5432 or 6000-6010",
    });
  }
  const held = withRegistry(this, (registry) => excludePorts(registry, span, Date.now()));
  say(this, `Excluded ${formatSpans([span])}`);
  for (const r of held) say(this, `note: port ${r.port} stays reserved by ${holderName(r)} until released`);
}

/** `compact-exclusions`: merges overlapping and adjacent excluded ranges. */
export function compactExclusions(this: AppContext, flags: { readonly dryRun?: boolean }): void {
  const [before, after] = withRegistry(
    this,
    (registry) => compactExclusionsIn(registry, flags.dryRun ?? false, Date.now()),
  );
  out(this, `${formatSpans(after) || "(none)"}\n`);
  say(
    this,
    `${before.length} exclusion(s) ${flags.dryRun ? "would become" : "compacted to"} ${after.length}`,
  );
}

/** Flags of `migrate`. */
export interface MigrateFlags {
  readonly from: string;
  readonly to: string;
  readonly recursive?: boolean;
  readonly force?: boolean;
  readonly dryRun?: boolean;
}

/** `migrate --from OLD --to NEW`: moves reservations after a directory moved. */
export function migrate(this: AppContext, flags: MigrateFlags): void {
  const req = { ...flags, from: keyPath(this, flags.from), to: keyPath(this, flags.to) };
  checkMigrate(req);
  const moved = withRegistry(this, (registry) => migrateReservations(registry, req));
  for (const p of moved) out(this, `${p.old.port}\t${holderName(p.old)} -> ${p.path}\n`);
  say(
    this,
    `${flags.dryRun ? "Would move" : "Moved"} ${moved.length} reservation${moved.length === 1 ? "" : "s"}`,
  );
}
