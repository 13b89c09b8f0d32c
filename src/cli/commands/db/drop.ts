/** `treehouse db drop`. */
import type { DbEvent } from "../../../services/db/create.ts";
import { dropDatabase } from "../../../services/db/drop.ts";
import { eventPrinter } from "../../db-render.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say } from "../../output.ts";
import type { AppFlags, BranchFlags } from "../../target.ts";
import { deps, needYes, prepare } from "./common.ts";

/** Flags of `db drop`. */
export interface DropFlags extends BranchFlags, AppFlags {
  readonly yes?: boolean;
  readonly terminate?: boolean;
  readonly json?: boolean;
}

/** `db drop`. */
export async function drop(this: AppContext, flags: DropFlags, branchArg?: string): Promise<void> {
  const p = prepare(this, flags, branchArg, false);
  try {
    needYes(flags, `This drops database ${p.name} on ${p.resolved.label}`);
    // How many sessions --terminate ended (0 without it: sessions refuse the drop).
    let ended = 0;
    const printer = eventPrinter(this);
    const onEvent = (e: DbEvent) => {
      if (e.kind === "ending-sessions") ended = e.sessions;
      printer.onEvent(e);
    };
    const record = await dropDatabase(deps(p, onEvent), {
      ...p.target,
      name: p.name,
      terminate: flags.terminate,
    });
    if (flags.json) out(this, json({ status: "dropped", ...record, sessions_ended: ended }));
    else {
      const sessions = ended === 0 ? "" : `, ending ${ended} session${ended === 1 ? "" : "s"}`;
      say(this, `Dropped ${record.name} (${record.branch}) on ${p.resolved.label}${sessions}`);
    }
  } finally {
    p.registry.close();
  }
}
