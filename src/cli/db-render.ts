/** How the `db` commands, `release` and `cleanup` show the db services' events and drop failures. */
import { formatBytes } from "../core/database-url.ts";
import type { DbEvent } from "../services/db/create.ts";
import type { DropOutcome } from "../services/db/drop.ts";
import type { AppContext } from "./context.ts";
import { say, warn } from "./output.ts";

/** Renders the db service's events on stderr (a progress line only on a terminal). */
export function eventPrinter(ctx: AppContext): { onEvent: (e: DbEvent) => void; done: () => void } {
  const terminal = Deno.stderr.isTerminal();
  let progressShown = false;
  let last = 0;
  return {
    onEvent: (e) => {
      if (e.kind === "progress") {
        const now = Date.now();
        if (!terminal || now - last < 100) return;
        last = now;
        progressShown = true;
        ctx.process.stderr.write(
          `\r\x1b[2Ktreehouse: copying with pg_dump | pg_restore: ${formatBytes(e.bytes)}`,
        );
        return;
      }
      if (e.kind === "waiting") say(ctx, `treehouse: waiting for another treehouse process using ${e.name}`);
      if (e.kind === "unfinished") {
        say(ctx, `treehouse: an earlier create of ${e.name} did not finish: making it again`);
      }
      if (e.kind === "terminating") {
        warn(
          ctx,
          `ending ${e.sessions} session${e.sessions === 1 ? "" : "s"} on ${e.base} for the fast copy: ` +
            "their clients (the base branch's server) will reconnect",
        );
      }
      if (e.kind === "ending-sessions") {
        warn(ctx, `ending ${e.sessions} session${e.sessions === 1 ? "" : "s"} on ${e.name} to drop it`);
      }
      if (e.kind === "busy") {
        say(
          ctx,
          `treehouse: ${e.base} is in use (${e.sessions} session${
            e.sessions === 1 ? "" : "s"
          }): copying with ` +
            "pg_dump | pg_restore so its server is not disturbed (--terminate for the fast copy)",
        );
      }
    },
    done: () => {
      if (progressShown) ctx.process.stderr.write("\n");
    },
  };
}

/** One line per outcome that did not go as planned (for release and cleanup). */
export function reportDropFailures(ctx: AppContext, outcomes: readonly DropOutcome[]): boolean {
  let failed = false;
  for (const o of outcomes) {
    if (o.error === undefined) continue;
    failed = true;
    say(ctx, `treehouse: database ${o.record.name} (${o.record.branch}) not dropped: ${o.error}`);
  }
  return failed;
}
