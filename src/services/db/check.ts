/**
 * Doctor's `database` check: only where the feature is used (`[database] create`, a configured URL, or
 * databases treehouse created). Asks the server (password masked in every line) and names recorded
 * databases the server no longer has.
 */
import type { DatabaseEngine } from "../../adapters/postgres/engine.ts";
import { listDatabases } from "../../registry/databases.ts";
import type { Registry } from "../../registry/registry.ts";
import type { Check } from "../doctor/checks.ts";
import { serverFailure } from "./failures.ts";
import type { ResolvedServer } from "./server.ts";

/** What the check looks at. */
export interface DatabaseCheckInput {
  registry?: Registry;
  engine: DatabaseEngine;
  resolved: ResolvedServer;
  /** `[database] create`. */
  create: "clone" | "empty" | "no";
  /** Whether `[database] url` (or TREEHOUSE_DATABASE_URL) names a server explicitly. */
  configured: boolean;
}

/** The check's result. A server `run` needs that does not answer fails; otherwise a warning. */
export async function databaseCheck(input: DatabaseCheckInput): Promise<Check> {
  const records = input.registry ? listDatabases(input.registry, { server: input.resolved.key }) : [];
  if (input.create === "no" && !input.configured && records.length === 0) {
    return { id: "database", status: "skip", detail: 'not used ([database] create = "no", none created)' };
  }
  const bad = input.create === "no" ? "warn" : "fail";
  let session;
  try {
    session = await input.engine.connect(input.resolved.server);
  } catch (error) {
    const mapped = serverFailure(error, input.resolved, "connect");
    const e = mapped as { message?: string; hint?: string };
    return { id: "database", status: bad, detail: String(e.message ?? mapped), fix: e.hint };
  }
  try {
    const sizes = await session.sizes(records.map((r) => r.name));
    const missing = records.filter((r) => r.state === "ready" && !sizes.has(r.name));
    const unfinished = records.filter((r) => r.state === "creating");
    const where = `${input.engine.label} at ${input.resolved.label} (from ${input.resolved.source})`;
    if (missing.length > 0 || unfinished.length > 0) {
      const names = [
        ...missing.map((r) => `${r.name} (gone)`),
        ...unfinished.map((r) => `${r.name} (unfinished)`),
      ];
      return {
        id: "database",
        status: "warn",
        detail: `${where} answers; recorded databases not there as recorded: ${names.join(", ")}`,
        fix: "treehouse db create BRANCH makes a branch's database again",
      };
    }
    return {
      id: "database",
      status: "ok",
      detail: `${where} answers; ${records.length} database${
        records.length === 1 ? "" : "s"
      } created by treehouse`,
    };
  } catch (error) {
    const mapped = serverFailure(error, input.resolved, "read the databases");
    return { id: "database", status: bad, detail: String((mapped as Error).message ?? mapped) };
  } finally {
    await session.close();
  }
}
