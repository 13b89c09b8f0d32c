/** `treehouse db url`: the branch's connection URL. */
import { listDatabases } from "../../../registry/databases.ts";
import { branchUrl } from "../../../services/db/server.ts";
import type { AppContext } from "../../context.ts";
import { json, out } from "../../output.ts";
import type { AppFlags, BranchFlags } from "../../target.ts";
import { prepare } from "./common.ts";

/** Flags of `db url`. */
export interface UrlFlags extends BranchFlags, AppFlags {
  readonly json?: boolean;
}

/** `db url`: the branch's connection URL (the only output with the real password). */
export function url(this: AppContext, flags: UrlFlags, branchArg?: string): void {
  const p = prepare(this, flags, branchArg);
  try {
    const created = listDatabases(p.registry, { server: p.resolved.key }).find((r) => r.name === p.name);
    if (flags.json) {
      out(
        this,
        json({
          url: branchUrl(p.resolved, p.name),
          database: p.name,
          server: p.resolved.label,
          source: p.resolved.source,
          created: created?.state === "ready",
        }),
      );
    } else out(this, `${branchUrl(p.resolved, p.name)}\n`);
  } finally {
    p.registry.close();
  }
}
