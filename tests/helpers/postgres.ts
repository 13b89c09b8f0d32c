/**
 * A throwaway PostgreSQL cluster for tests: `initdb` (as the `postgres` user when running as root) in
 * a temp dir, trust auth for the superuser `postgres` and a password user for authentication tests,
 * listening on 127.0.0.1 at a free port. `stop()` ends it (`-m immediate`) and removes the directory.
 *
 * Tests declare `ignore: POSTGRES_MISSING !== undefined` and print the reason with `skipped()`.
 */
import { freePort } from "./harness.ts";

/** Where Debian's PostgreSQL 15 puts its server programs (`TREEHOUSE_TEST_PG_BIN` overrides). */
export const PG_BIN = Deno.env.get("TREEHOUSE_TEST_PG_BIN") ?? "/usr/lib/postgresql/15/bin";

/** A user with a password (scram-sha-256), for the wrong-password test. */
export const PASSWORD_USER = { name: "pwuser", password: "s3cret-pw" } as const;

/** Why PostgreSQL cannot run here, or undefined when it can. Decided without starting anything. */
export const POSTGRES_MISSING: string | undefined = missingReason();

function missingReason(): string | undefined {
  for (const tool of ["initdb", "pg_ctl", "postgres"]) {
    try {
      Deno.statSync(`${PG_BIN}/${tool}`);
    } catch {
      return `PostgreSQL is not installed (no ${PG_BIN}/${tool}; apt-get install postgresql)`;
    }
  }
  if (Deno.uid() === 0) {
    let passwd = "";
    try {
      passwd = Deno.readTextFileSync("/etc/passwd");
    } catch { /* no passwd file */ }
    if (!/^postgres:/m.test(passwd)) return "running as root and there is no postgres user to run initdb as";
    if (!isFile("/usr/bin/setpriv") && !isFile("/bin/setpriv")) return "running as root without setpriv(1)";
  }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** A running cluster. */
export interface PgCluster {
  readonly host: string;
  readonly port: number;
  /** The superuser's URL without a database: `postgres://postgres@127.0.0.1:PORT`. */
  readonly url: string;
  /** The temp directory (data, socket, log). */
  readonly dir: string;
  /** Runs SQL as the superuser through psql in `database` (default `postgres`); returns stdout. */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server (as a crash would) and keeps its directory: "the server is down". */
  halt(): Promise<void>;
  /** Stops the cluster at once and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** As root, runs programs as `postgres` (setpriv: no shell, argument arrays). */
function asPostgres(program: string, args: string[]): [string, string[]] {
  if (Deno.uid() !== 0) return [program, args];
  const setpriv = isFile("/usr/bin/setpriv") ? "/usr/bin/setpriv" : "/bin/setpriv";
  return [setpriv, ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", program, ...args]];
}

async function runChecked(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const [cmd, argv] = asPostgres(program, args);
  const out = await new Deno.Command(cmd, {
    args: argv,
    env: { LC_ALL: "C", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${program} ${args.join(" ")} failed (${out.code}): ${dec.decode(out.stderr).trim()}`);
  }
  return dec.decode(out.stdout);
}

/** Starts a fresh cluster; throws when it cannot (callers check {@link POSTGRES_MISSING} first). */
export async function startPostgres(): Promise<PgCluster> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "treehouse-pg-" }));
  // The server runs as postgres: it must be able to enter and write its directory.
  await Deno.chmod(dir, 0o755);
  if (Deno.uid() === 0) {
    const pw = /^postgres:[^:]*:(\d+):(\d+):/m.exec(await Deno.readTextFile("/etc/passwd"));
    await Deno.chown(dir, Number(pw?.[1]), Number(pw?.[2]));
  }
  const data = `${dir}/data`;
  let started = false;
  const halt = async () => {
    if (started) {
      started = false;
      await runChecked(`${PG_BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
    }
  };
  const stop = async () => {
    await halt();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await runChecked(`${PG_BIN}/initdb`, ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
    await Deno.writeTextFile(
      `${data}/pg_hba.conf`,
      [
        "local all all trust",
        "host all postgres 127.0.0.1/32 trust",
        "host all all 127.0.0.1/32 scram-sha-256",
        "",
      ].join("\n"),
    );
    let port = 0;
    for (let attempt = 0;; attempt++) {
      port = freePort();
      try {
        await runChecked(`${PG_BIN}/pg_ctl`, [
          "-D",
          data,
          "-o",
          `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`,
          "-l",
          `${dir}/log`,
          "-w",
          "start",
        ]);
        started = true;
        break;
      } catch (error) {
        if (attempt >= 3) throw error; // another test took the port between the check and the start
      }
    }
    const psql = (sql: string, database = "postgres") =>
      runChecked(`${PG_BIN}/psql`, [
        "-X",
        "-q",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        dir,
        "-p",
        String(port),
        "-U",
        "postgres",
        "-d",
        database,
        "-c",
        sql,
      ]);
    await psql(
      `CREATE ROLE ${PASSWORD_USER.name} LOGIN CREATEDB PASSWORD '${PASSWORD_USER.password}'`,
    );
    return { host: "127.0.0.1", port, url: `postgres://postgres@127.0.0.1:${port}`, dir, psql, halt, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts a cluster, runs `fn` with it, and always stops it. */
export async function withPostgres<T>(fn: (pg: PgCluster) => Promise<T>): Promise<T> {
  const pg = await startPostgres();
  try {
    return await fn(pg);
  } finally {
    await pg.stop();
  }
}
