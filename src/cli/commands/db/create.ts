/** `treehouse db create` and `db reset`. */
import { UsageError } from "../../../errors.ts";
import { chooseBase } from "../../../services/db/base.ts";
import { createDatabase, type CreateResult, type DbEvent } from "../../../services/db/create.ts";
import { resetDatabase } from "../../../services/db/drop.ts";
import { maskedBranchUrl } from "../../../services/db/server.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say } from "../../output.ts";
import type { AppFlags, BranchFlags } from "../../target.ts";
import { deps, needYes, prepare, type Prepared } from "./common.ts";
import { eventPrinter } from "../../db-render.ts";

/** Flags of `db create` and `db reset`. */
export interface BaseFlags extends BranchFlags, AppFlags {
  readonly from?: string;
  readonly fromDatabase?: string;
  readonly empty?: boolean;
  readonly terminate?: boolean;
  readonly json?: boolean;
}

/** Flags of `db create`. */
export interface CreateFlags extends BaseFlags {
  readonly adopt?: boolean;
}

/** Flags of `db reset`. */
export interface ResetFlags extends BaseFlags {
  readonly yes?: boolean;
}

function baseOf(p: Prepared, flags: BaseFlags): { base?: string; baseBranch?: string; note?: string } {
  const given = [flags.from !== undefined, flags.fromDatabase !== undefined, flags.empty === true].filter(
    Boolean,
  );
  if (given.length > 1) {
    throw new UsageError("--from, --from-database and --empty exclude each other", {
      hint: "Choose one base: a branch (--from), any database (--from-database) or none (--empty)",
    });
  }
  if (flags.empty) return {};
  const base = chooseBase(p.registry, p.target, {
    fromBranch: flags.from,
    fromDatabase: flags.fromDatabase,
    template: p.settings.database.template,
    from: p.settings.database.from,
  });
  // The default branch itself has nothing to copy from by default: it starts empty.
  if (base.name === p.name && flags.from === undefined && flags.fromDatabase === undefined) {
    return { note: `${p.target.branch} is the base branch (${base.label}): created empty` };
  }
  return { base: base.name, baseBranch: base.branch };
}

function report(ctx: AppContext, p: Prepared, result: CreateResult, flags: BaseFlags, note?: string): void {
  const r = result.record;
  if (flags.json) {
    out(ctx, json({ status: result.status, ...r, url: maskedBranchUrl(p.resolved, r.name) }));
    return;
  }
  if (note && result.status === "created") say(ctx, `treehouse: ${note}`);
  const how = r.method === "template"
    ? `copied from ${r.source} (CREATE DATABASE … TEMPLATE)`
    : r.method === "dump"
    ? `copied from ${r.source} (pg_dump | pg_restore)`
    : r.method === "adopted"
    ? "adopted as it was"
    : "empty";
  const text = result.status === "exists"
    ? `Database ${r.name} already exists (created by treehouse for ${r.branch})`
    : result.status === "adopted"
    ? `Adopted ${r.name} as ${r.branch}'s database (not changed)`
    : `Created ${r.name}: ${how}`;
  say(ctx, `${text} on ${p.resolved.label}`);
}

/** Prepares, runs `make` while printing its events, reports what it made; closes the registry after. */
async function making(
  ctx: AppContext,
  flags: BaseFlags,
  branchArg: string | undefined,
  make: (p: Prepared, onEvent: (e: DbEvent) => void) => Promise<{ result: CreateResult; note?: string }>,
): Promise<void> {
  const p = prepare(ctx, flags, branchArg);
  const printer = eventPrinter(ctx);
  try {
    const { result, note } = await make(p, printer.onEvent);
    printer.done();
    report(ctx, p, result, flags, note);
  } finally {
    printer.done();
    p.registry.close();
  }
}

/** `db create`. */
export function create(this: AppContext, flags: CreateFlags, branchArg?: string): Promise<void> {
  return making(this, flags, branchArg, async (p, onEvent) => {
    const { base, baseBranch, note } = flags.adopt ? {} : baseOf(p, flags);
    const request = {
      ...p.target,
      name: p.name,
      base,
      baseBranch,
      terminate: flags.terminate,
      adopt: flags.adopt,
    };
    return { result: await createDatabase(deps(p, onEvent), request), note };
  });
}

/** `db reset`: drop (when there is one) and create again. */
export function reset(this: AppContext, flags: ResetFlags, branchArg?: string): Promise<void> {
  return making(this, flags, branchArg, async (p, onEvent) => {
    needYes(flags, `This drops and re-creates database ${p.name} on ${p.resolved.label}`);
    const { base, baseBranch, note } = baseOf(p, flags);
    const request = { ...p.target, name: p.name, base, baseBranch, terminate: flags.terminate };
    return { result: await resetDatabase(deps(p, onEvent), request), note };
  });
}
