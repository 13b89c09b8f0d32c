/**
 * The busy-template copy: `pg_dump -Fc <template> | pg_restore -d <new>`, for when another session
 * holds the template (the main branch's server) and `CREATE DATABASE … TEMPLATE` is refused. The
 * programs get argument arrays and the password through `PGPASSWORD` (never on a command line).
 */
import type { ServerSpec } from "../../core/database-url.ts";
import { CommandStartError, MissingToolError } from "../../errors.ts";
import { spawn, type Spawned } from "../process/spawn.ts";
import { type CopyProgress, EngineError } from "./engine.ts";

/** The client programs the copy needs. */
export const DUMP_TOOLS = ["pg_dump", "pg_restore"] as const;

/** A libpq connection string naming only the database, quoted so any name is taken literally. */
export function dbnameConninfo(name: string): string {
  return `dbname='${name.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** Connection arguments shared by both programs (host, port, user; the database comes apart). */
export function connectionArgs(server: ServerSpec): string[] {
  return ["--host", server.host, "--port", String(server.port), "--username", server.user, "--no-password"];
}

/** Environment for the programs: the password and the URL's TLS mode, as libpq reads them. */
export function connectionEnv(server: ServerSpec): Record<string, string> {
  const env: Record<string, string> = { PGAPPNAME: "treehouse" };
  if (server.password !== undefined) env.PGPASSWORD = server.password;
  const sslmode = server.params.find(([k]) => k === "sslmode")?.[1];
  if (sslmode !== undefined) env.PGSSLMODE = sslmode;
  return env;
}

async function readText(stream: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!stream) return "";
  return await new Response(stream).text();
}

function tail(text: string): string {
  return text.trim().split("\n").filter((l) => l.trim() !== "").slice(-3).join(" / ");
}

function start(program: string, args: string[], env: Record<string, string>, pipeIn: boolean): Spawned {
  try {
    return spawn(program, {
      args,
      env,
      stdin: pipeIn ? "piped" : "null",
      stdout: pipeIn ? "null" : "piped",
      stderr: "piped",
      tool: true,
    });
  } catch (error) {
    if (error instanceof MissingToolError || error instanceof CommandStartError) {
      throw new EngineError("tool", `${program} is not installed or not on PATH`, { cause: error });
    }
    throw error;
  }
}

/**
 * Copies `template` into the existing empty database `target` through dump and restore. `onProgress`
 * is told the bytes of dump passed so far (about every 100 ms at most, by the caller's choice).
 */
export async function copyWithDump(
  server: ServerSpec,
  template: string,
  target: string,
  onProgress?: CopyProgress,
): Promise<void> {
  const env = connectionEnv(server);
  const conn = connectionArgs(server);
  const restore = start(
    "pg_restore",
    [...conn, "--exit-on-error", "--dbname", dbnameConninfo(target)],
    env,
    true,
  );
  let dump: Spawned;
  try {
    dump = start("pg_dump", [...conn, "--format=custom", "--dbname", dbnameConninfo(template)], env, false);
  } catch (error) {
    await restore.process.stdin.close().catch(() => {});
    try {
      restore.process.kill("SIGTERM");
    } catch { /* already gone */ }
    await restore.exited;
    await restore.process.stderr.cancel().catch(() => {});
    throw error;
  }
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      onProgress?.(bytes);
      controller.enqueue(chunk);
    },
  });
  const [dumpErr, restoreErr, piped] = await Promise.all([
    readText(dump.process.stderr),
    readText(restore.process.stderr),
    dump.process.stdout.pipeThrough(counter).pipeTo(restore.process.stdin).then(() => true, () => false),
  ]);
  const [dumpExit, restoreExit] = await Promise.all([dump.exited, restore.exited]);
  if (dumpExit.code !== 0) {
    const kind = /does not exist/.test(dumpErr)
      ? "missing"
      : /authentication|password/i.test(dumpErr)
      ? "auth"
      : "other";
    throw new EngineError(kind, `pg_dump exited with code ${dumpExit.code}: ${tail(dumpErr)}`);
  }
  if (restoreExit.code !== 0 || !piped) {
    throw new EngineError("other", `pg_restore exited with code ${restoreExit.code}: ${tail(restoreErr)}`);
  }
}
