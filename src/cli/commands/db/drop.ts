/** `treehouse db drop`. */
import { dropDatabase } from "../../../services/db/drop.ts";
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
    const record = await dropDatabase(deps(p), {
      ...p.target,
      name: p.name,
      terminate: flags.terminate,
    });
    if (flags.json) out(this, json({ status: "dropped", ...record }));
    else say(this, `Dropped ${record.name} (${record.branch}) on ${p.resolved.label}`);
  } finally {
    p.registry.close();
  }
}
