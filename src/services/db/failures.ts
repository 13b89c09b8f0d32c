/**
 * Turns an engine's failure into one clear treehouse error that names the server tried (password
 * masked), where its address came from and what to do.
 */
import { maskSecret } from "../../core/database-url.ts";
import { EngineError } from "../../adapters/postgres/engine.ts";
import {
  DatabaseError,
  MissingToolError,
  NotFoundError,
  PermissionError,
  TreehouseError,
} from "../../errors.ts";
import type { ResolvedServer } from "./server.ts";

/** The client tools' package per platform, for the missing-tool hint. */
export const CLIENT_TOOLS_HINT =
  "Install the PostgreSQL client tools (Debian/Ubuntu: sudo apt-get install postgresql-client; " +
  "Fedora: sudo dnf install postgresql; macOS: brew install libpq && brew link --force libpq), " +
  "or end the base's other sessions for the fast copy with --terminate";

const WHERE_FROM = (r: ResolvedServer) =>
  r.source === "default"
    ? "the default server; set [database] url in treehouse.toml, TREEHOUSE_DATABASE_URL or PGHOST/PGPORT"
    : `the server came from ${r.source}`;

/** Maps `error` (raised while doing `action`) to a {@link TreehouseError}; others pass through. */
export function serverFailure(error: unknown, resolved: ResolvedServer, action: string): unknown {
  if (error instanceof TreehouseError || !(error instanceof EngineError)) return error;
  const detail = maskSecret(error.message, resolved.server);
  const at = `PostgreSQL at ${resolved.label}`;
  switch (error.kind) {
    case "unreachable":
      return new DatabaseError(`Cannot connect to ${at}: ${detail}`, {
        hint: `Start the server, or point treehouse at yours (${WHERE_FROM(resolved)})`,
        cause: error,
      });
    case "auth":
      return new PermissionError(`${at} refused user "${resolved.server.user}": ${detail}`, {
        hint: `Check the user and password (${WHERE_FROM(resolved)})`,
        cause: error,
      });
    case "permission":
      return new PermissionError(`${at}: ${action}: ${detail}`, {
        hint:
          `Let the role create databases (ALTER ROLE "${resolved.server.user}" CREATEDB), or use another user`,
        cause: error,
      });
    case "tool":
      return new MissingToolError(`${detail}: it is needed to copy a database that is in use`, {
        hint: CLIENT_TOOLS_HINT,
        cause: error,
      });
    case "missing":
      return new NotFoundError(`${at}: ${action}: ${detail}`, { cause: error });
    default:
      return new DatabaseError(`${at}: ${action} failed: ${detail}`, { cause: error });
  }
}

/** Runs `fn`, mapping engine failures with {@link serverFailure}. */
export async function onServer<T>(
  resolved: ResolvedServer,
  action: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw serverFailure(error, resolved, action);
  }
}
