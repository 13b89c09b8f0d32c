/**
 * The database collaborator of `treehouse run`: before the first spawn it makes sure the branch's
 * database exists (see ./ensure.ts: a recorded database costs one registry read, no connection), then
 * gives the child `TREEHOUSE_DATABASE_URL` and `DATABASE_URL` and adds the (masked) URL to the banner.
 * A failure (server down, foreign database…) stops the run before the server starts.
 */
import type { DatabaseCreate } from "../../core/config-schema.ts";
import type { RunCollaborator } from "../run/types.ts";
import type { Settings } from "../settings.ts";
import { ensureBranchDatabase } from "./ensure.ts";

/** The collaborator for `mode` ("clone" or "empty"), with the settings' `[database]`. */
export function databaseCollaborator(mode: DatabaseCreate, settings: Settings): RunCollaborator {
  const source = settings.sources.databaseUrl;
  return {
    name: "database",
    async prepare(session) {
      const { deps, allocation } = session;
      const info = (text: string) => deps.output.info(`treehouse: ${text}`);
      const result = await ensureBranchDatabase(deps.registry, {
        mode,
        project_path: allocation.project_path,
        branch: allocation.branch,
        app: session.request.target.app,
        name: allocation.db_name,
        database: settings.database,
        urlSource: source === undefined || source === "default" ? undefined : source,
        env: deps.env,
        onEvent: (e) => {
          if (e.kind === "busy") {
            info(`${e.base} is in use: copying it with pg_dump | pg_restore so its server is not disturbed`);
          } else if (e.kind === "waiting") info(`waiting for another treehouse process using ${e.name}`);
          else if (e.kind === "unfinished") {
            info(`an earlier create of ${e.name} did not finish: making it again`);
          }
        },
      });
      if (!result) return;
      for (const [name, value] of Object.entries(result.vars)) session.setEnv(name, value);
      for (const note of result.notes) info(note);
      session.addBannerRow("DB URL", result.label);
    },
  };
}
