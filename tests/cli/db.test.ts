/**
 * `treehouse db` against a real PostgreSQL 15 cluster started for this file (tests/helpers/postgres.ts):
 * create, clone (fast and busy-base fallback, --terminate), five concurrent clones, drop, reset, list,
 * adopt, and the failures (server down, wrong password, missing base, a foreign database of the name).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import { shellQuote } from "../../src/cli/output.ts";
import { childEnv, cli, type CliOptions, git, MAIN, makeRepo, skipped, tempDir } from "../helpers/cli.ts";
import { extractGlobalFlags } from "../../src/cli/runner.ts";
import { PASSWORD_USER, type PgCluster, POSTGRES_MISSING, startPostgres } from "../helpers/postgres.ts";
import { hasTmux, newSession, tmux, tmuxSocket, treehouseWords } from "../helpers/tmux.ts";
import { freePort } from "../helpers/harness.ts";

const POOL = "127.0.4.10-127.0.4.99";
const ignore = POSTGRES_MISSING !== undefined;
if (ignore) skipped(`db tests: ${POSTGRES_MISSING}`);

Deno.test("after run, --db clone|empty|no is the database mode; elsewhere --db names the registry", () => {
  assert.deepEqual(extractGlobalFlags(["run", "--db", "clone", "--", "x"]), {
    db: undefined,
    verbose: false,
    rest: ["run", "--database=clone", "--", "x"],
  });
  assert.deepEqual(extractGlobalFlags(["run", "--db=empty", "--", "x"]).rest, [
    "run",
    "--database=empty",
    "--",
    "x",
  ]);
  assert.equal(extractGlobalFlags(["run", "--db", "/tmp/r.db", "--", "x"]).db, "/tmp/r.db");
  assert.equal(extractGlobalFlags(["--db", "clone", "run", "--", "x"]).db, "clone");
  assert.equal(extractGlobalFlags(["ip", "--db", "no"]).db, "no");
});

Deno.test("db url only composes the URL: printed with exit 0 while no server listens, as its help says", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "nosrv");
    const options = { cwd: repo, db: `${tmp.path}/r.db`, env: { TREEHOUSE_POOL: POOL, PGPORT: "1" } };
    const url = await cli(["db", "url", "--branch", "db-nosrv"], options);
    assert.equal(url.code, 0, url.stderr);
    assert.match(url.stdout, /^postgres:\/\/\S+@localhost:1\/nosrv_dev_db_nosrv\n$/);
    assert.match((await cli(["db", "url", "--help"], options)).stdout, /Only composes the URL/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("config shows [database] url with its password masked, and db url prints the real one", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "cfgapp");
    await Deno.writeTextFile(
      `${repo}/treehouse.toml`,
      '[database]\nurl = "postgres://me:topsecret@localhost:5432"\ncreate = "clone"\n',
    );
    const options = { cwd: repo, db: `${tmp.path}/r.db`, env: { TREEHOUSE_POOL: POOL } };
    const text = await cli(["config"], options);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /database\.url\s+postgres:\/\/me:\*\*\*\*@localhost:5432\s+\S*treehouse\.toml:2/,
    );
    assert.match(text.stdout, /database\.create\s+clone/);
    const json = await cli(["config", "--json"], options);
    assert.doesNotMatch(text.stdout + text.stderr + json.stdout + json.stderr, /topsecret/);
    const url = await cli(["db", "url", "--branch", "db-cfg"], options);
    assert.equal(url.stdout, "postgres://me:topsecret@localhost:5432/cfgapp_dev_db_cfg\n");
  } finally {
    await tmp.cleanup();
  }
});

interface World {
  pg: PgCluster;
  repo: string;
  db: string;
  run(args: string[], env?: Record<string, string>, extra?: CliOptions): ReturnType<typeof cli>;
  exists(name: string): Promise<boolean>;
}

async function world(pg: PgCluster, dir: string, app: string): Promise<World> {
  const repo = await makeRepo(dir, app);
  const db = `${dir}/registry.db`;
  return {
    pg,
    repo,
    db,
    run: (args, env = {}, extra = {}) =>
      cli(args, {
        cwd: repo,
        db,
        ...extra,
        env: { TREEHOUSE_POOL: POOL, TREEHOUSE_DATABASE_URL: pg.url, ...env, ...extra.env },
      }),
    exists: async (name) =>
      (await pg.psql(`SELECT count(*) FROM pg_database WHERE datname = '${name}'`)).trim() === "1",
  };
}

/** Fills `name` with a table of `rows` rows (and makes it). */
async function seed(pg: PgCluster, name: string, rows = 100): Promise<void> {
  await pg.psql(`CREATE DATABASE "${name}"`);
  await pg.psql(
    `CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, ${rows}) g`,
    name,
  );
}

async function count(pg: PgCluster, name: string): Promise<number> {
  return Number((await pg.psql("SELECT count(*) FROM items", name)).trim());
}

/** A session held open on `name`, as the main branch's server would. */
async function holdSession(pg: PgCluster, name: string) {
  const sql = postgres({
    host: pg.host,
    port: pg.port,
    user: "postgres",
    database: name,
    max: 1,
    onnotice: () => {},
  });
  await sql`SELECT 1`;
  return { sql, close: () => sql.end({ timeout: 1 }).catch(() => {}) };
}

Deno.test({ name: "db create, url, list, drop and reset work on a real PostgreSQL", ignore }, async (t) => {
  const tmp = await tempDir();
  const pg = await startPostgres();
  try {
    const w = await world(pg, tmp.path, "dbapp");
    await seed(pg, "dbapp_dev_main");

    await t.step("db url prints the server's URL with the branch's database", async () => {
      const r = await w.run(["db", "url", "--branch", "db-one"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${pg.url}/dbapp_dev_db_one\n`);
    });

    await t.step(
      "db create clones the default branch's database with CREATE DATABASE … TEMPLATE",
      async () => {
        const r = await w.run(["db", "create", "--branch", "db-one"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stderr,
          /Created dbapp_dev_db_one: copied from dbapp_dev_main \(CREATE DATABASE … TEMPLATE\)/,
        );
        assert.equal(await count(pg, "dbapp_dev_db_one"), 100);
      },
    );

    await t.step("db create again says the database exists and exits 0", async () => {
      const r = await w.run(["db", "create", "--branch", "db-one"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /already exists \(created by treehouse for db-one\)/);
    });

    await t.step("db create --empty makes an empty database", async () => {
      const r = await w.run(["db", "create", "--branch", "db-empty", "--empty", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.status, "created");
      assert.equal(out.method, "empty");
      assert.equal(out.source, null);
      assert.ok(await w.exists("dbapp_dev_db_empty"));
    });

    await t.step("db list shows branch, size, source and whether the branch exists", async () => {
      const r = await w.run(["db", "list", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout) as {
        branch: string;
        size: number;
        source: string | null;
        branch_exists: boolean;
      }[];
      const one = rows.find((d) => d.branch === "db-one");
      assert.ok(one);
      assert.ok(one.size > 1_000_000);
      assert.equal(one.source, "dbapp_dev_main");
      assert.equal(one.branch_exists, false, "db-one was named with --branch, never created in git");
      const text = await w.run(["db", "list"]);
      assert.match(text.stdout, /^BRANCH\s+DATABASE\s+SIZE\s+FROM\s+CREATED\s+BRANCH EXISTS\s+PROJECT/);
      assert.match(text.stdout, /db-one\s+dbapp_dev_db_one\s+\d.* MB\s+dbapp_dev_main/);
    });

    await t.step("db drop needs --yes, then drops only the branch's database", async () => {
      const no = await w.run(["db", "drop", "--branch", "db-empty"]);
      assert.equal(no.code, 2);
      assert.match(no.stderr, /pass --yes/);
      assert.ok(await w.exists("dbapp_dev_db_empty"));
      const r = await w.run(["db", "drop", "--branch", "db-empty", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Dropped dbapp_dev_db_empty/);
      assert.equal(await w.exists("dbapp_dev_db_empty"), false);
      const again = await w.run(["db", "drop", "--branch", "db-empty", "--yes"]);
      assert.equal(again.code, 3, again.stderr);
    });

    await t.step("db reset makes a fresh copy of the base", async () => {
      await pg.psql("DELETE FROM items", "dbapp_dev_db_one");
      const r = await w.run(["db", "reset", "--branch", "db-one", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await count(pg, "dbapp_dev_db_one"), 100);
    });

    await t.step(
      "a foreign database of the branch's name is an error naming it, and --adopt records it",
      async () => {
        await seed(pg, "dbapp_dev_foreign", 7);
        const r = await w.run(["db", "create", "--branch", "foreign"]);
        assert.equal(r.code, 7, r.stderr);
        assert.match(
          r.stderr,
          /Database "dbapp_dev_foreign" already exists on postgres:\/\/postgres@127\.0\.0\.1:\d+ and was not created by treehouse/,
        );
        assert.match(r.stderr, /--adopt/);
        const drop = await w.run(["db", "drop", "--branch", "foreign", "--yes"]);
        assert.equal(drop.code, 7, drop.stderr);
        const reset = await w.run(["db", "reset", "--branch", "foreign", "--yes"]);
        assert.equal(reset.code, 7, reset.stderr);
        assert.equal(await count(pg, "dbapp_dev_foreign"), 7, "nothing was dropped or overwritten");
        const adopt = await w.run(["db", "create", "--branch", "foreign", "--adopt"]);
        assert.equal(adopt.code, 0, adopt.stderr);
        assert.match(adopt.stderr, /Adopted dbapp_dev_foreign/);
        assert.equal(await count(pg, "dbapp_dev_foreign"), 7);
        const list = JSON.parse((await w.run(["db", "list", "--json"])).stdout) as {
          branch: string;
          method: string;
        }[];
        assert.equal(list.find((d) => d.branch === "foreign")?.method, "adopted");
      },
    );

    await t.step(
      "doctor's database check asks the server and counts the databases treehouse created",
      async () => {
        const r = await w.run(["doctor", "--json"], { TREEHOUSE_DOCTOR_ROUND_TRIP: "0" });
        const check = JSON.parse(r.stdout).checks.find((c: { id: string }) => c.id === "database");
        assert.equal(check?.status, "ok", r.stdout);
        assert.match(
          check.detail,
          /PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+ \(from TREEHOUSE_DATABASE_URL\) answers; \d+ databases created by treehouse/,
        );
      },
    );

    await t.step("--from-database clones any database", async () => {
      const r = await w.run(["db", "create", "--branch", "db-two", "--from-database", "dbapp_dev_foreign"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await count(pg, "dbapp_dev_db_two"), 7);
    });

    await t.step("a base whose name holds a quote and a backslash is quoted, never spliced", async () => {
      const odd = "dbapp_o'brien\\x";
      await seed(pg, odd, 3);
      const r = await w.run(["db", "create", "--branch", "db-three", "--from-database", odd]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await count(pg, "dbapp_dev_db_three"), 3);
      assert.equal(await count(pg, odd), 3);
    });
  } finally {
    await pg.stop();
    await tmp.cleanup();
  }
});

Deno.test({
  name: "db create copies a base in use with pg_dump | pg_restore, or ends its sessions with --terminate",
  ignore,
}, async (t) => {
  const tmp = await tempDir();
  const pg = await startPostgres();
  try {
    const w = await world(pg, tmp.path, "busy");
    await seed(pg, "busy_dev_main", 500);
    const held = await holdSession(pg, "busy_dev_main");
    const before = Number((await held.sql`SELECT pg_backend_pid() AS pid`)[0]?.pid);
    try {
      await t.step(
        "without --terminate the base's session is left alone and the copy goes through pg_dump",
        async () => {
          const r = await w.run(["db", "create", "--branch", "db-fallback", "--json"]);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(JSON.parse(r.stdout).method, "dump");
          assert.match(r.stderr, /busy_dev_main is in use \(1 session\): copying with pg_dump \| pg_restore/);
          assert.equal(await count(pg, "busy_dev_db_fallback"), 500);
          assert.equal(Number((await held.sql`SELECT 1 AS one`)[0]?.one), 1, "the held session still works");
        },
      );

      await t.step("without pg_dump on PATH the error names the package to install", async () => {
        const r = await w.run(["db", "create", "--branch", "db-notools", "--from", "main"], {
          PATH: "/nonexistent",
        });
        assert.equal(r.code, 10, r.stderr);
        assert.match(r.stderr, /pg_restore is not installed or not on PATH/);
        assert.match(r.stderr, /apt-get install postgresql-client/);
        assert.equal(await w.exists("busy_dev_db_notools"), false, "no partial database is left");
        const list = JSON.parse((await w.run(["db", "list", "--json"])).stdout) as { branch: string }[];
        assert.equal(list.some((d) => d.branch === "db-notools"), false, "and no record");
      });

      await t.step("--terminate warns, ends the base's sessions and copies with TEMPLATE", async () => {
        const r = await w.run(["db", "create", "--branch", "db-fast", "--terminate", "--json"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).method, "template");
        assert.match(r.stderr, /warning: ending 1 session on busy_dev_main .*will reconnect/);
        assert.equal(await count(pg, "busy_dev_db_fast"), 500);
        // The client reconnects (as a server's pool does): its backend is a new one.
        const after = await held.sql`SELECT pg_backend_pid() AS pid`.then((r) => Number(r[0]?.pid), () => -1);
        assert.notEqual(after, before, "the held session was ended");
      });

      await t.step(
        "db drop --terminate says how many sessions it ended, on stderr and in --json",
        async () => {
          const other = await holdSession(pg, "busy_dev_db_fallback");
          try {
            const refused = await w.run(["db", "drop", "--branch", "db-fallback", "--yes"]);
            assert.equal(refused.code, 7, refused.stderr);
            const r = await w.run([
              "db",
              "drop",
              "--branch",
              "db-fallback",
              "--yes",
              "--terminate",
              "--json",
            ]);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(JSON.parse(r.stdout).sessions_ended, 1);
            assert.match(r.stderr, /warning: ending 1 session on busy_dev_db_fallback to drop it/);
            assert.equal(await w.exists("busy_dev_db_fallback"), false);
          } finally {
            await other.close().catch(() => {});
          }
        },
      );
    } finally {
      await held.close();
    }
  } finally {
    await pg.stop();
    await tmp.cleanup();
  }
});

Deno.test({ name: "five concurrent clones of one base all succeed", ignore }, async () => {
  const tmp = await tempDir();
  const pg = await startPostgres();
  try {
    const w = await world(pg, tmp.path, "five");
    await seed(pg, "five_dev_main", 1000);
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => w.run(["db", "create", "--branch", `db-c${i}`, "--json"])),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    for (let i = 1; i <= 5; i++) assert.equal(await count(pg, `five_dev_db_c${i}`), 1000);
    const methods = results.map((r) => JSON.parse(r.stdout).method);
    assert.deepEqual(methods, ["template", "template", "template", "template", "template"]);
  } finally {
    await pg.stop();
    await tmp.cleanup();
  }
});

Deno.test(
  { name: "db failures name the server tried, mask the password and change nothing", ignore },
  async (t) => {
    const tmp = await tempDir();
    const pg = await startPostgres();
    try {
      const w = await world(pg, tmp.path, "fail");

      await t.step("a server that is down: exit 14 with the address and where it came from", async () => {
        const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = (listener.addr as Deno.NetAddr).port;
        listener.close();
        const r = await w.run(["db", "create", "--branch", "db-down", "--empty"], {
          TREEHOUSE_DATABASE_URL: `postgres://someone:hunter22@127.0.0.1:${port}`,
        });
        assert.equal(r.code, 14, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `Cannot connect to PostgreSQL at postgres://someone:\\*\\*\\*\\*@127\\.0\\.0\\.1:${port}`,
          ),
        );
        assert.match(r.stderr, /TREEHOUSE_DATABASE_URL/);
        assert.doesNotMatch(r.stderr, /hunter22/);
      });

      await t.step("a wrong password: exit 9, the user named, the password masked", async () => {
        const url = `postgres://${PASSWORD_USER.name}:wrong-pw-123@127.0.0.1:${pg.port}`;
        const r = await w.run(["db", "create", "--branch", "db-auth", "--empty"], {
          TREEHOUSE_DATABASE_URL: url,
        });
        assert.equal(r.code, 9, r.stderr);
        assert.match(r.stderr, /refused user "pwuser": password authentication failed/);
        assert.match(r.stderr, /postgres:\/\/pwuser:\*\*\*\*@127\.0\.0\.1/);
        assert.doesNotMatch(r.stderr, /wrong-pw-123/);
        const list = await w.run(["db", "list"], { TREEHOUSE_DATABASE_URL: url });
        assert.doesNotMatch(list.stderr + list.stdout, /wrong-pw-123/);
      });

      await t.step("the right password works, and only db url prints it", async () => {
        const url = `postgres://${PASSWORD_USER.name}:${PASSWORD_USER.password}@127.0.0.1:${pg.port}`;
        const r = await w.run(["db", "create", "--branch", "db-pw", "--empty"], {
          TREEHOUSE_DATABASE_URL: url,
        });
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, new RegExp(PASSWORD_USER.password));
        const u = await w.run(["db", "url", "--branch", "db-pw"], { TREEHOUSE_DATABASE_URL: url });
        assert.equal(u.stdout, `${url}/fail_dev_db_pw\n`);
      });

      await t.step(
        "the default branch itself has no base: its database starts empty, with a note",
        async () => {
          const r = await w.run(["db", "create"]);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stderr, /main is the base branch \(branch main\): created empty/);
          assert.ok(await w.exists("fail_dev_main"));
        },
      );

      await t.step("a missing base: exit 3 naming it and the server, nothing created", async () => {
        const r = await w.run(["db", "create", "--branch", "db-nobase", "--from", "nothing-here"]);
        assert.equal(r.code, 3, r.stderr);
        assert.match(
          r.stderr,
          /Base database "fail_dev_nothing_here" does not exist on postgres:\/\/postgres@127\.0\.0\.1:\d+/,
        );
        // The hint names the base branch to create, never a placeholder.
        assert.match(
          r.stderr,
          /^hint: Create nothing-here's database first \(treehouse db create nothing-here --empty\)/m,
        );
        assert.equal(await w.exists("fail_dev_db_nobase"), false);
        const byName = await w.run(["db", "create", "--branch", "db-nobase", "--from-database", "nope_db"]);
        assert.equal(byName.code, 3, byName.stderr);
        assert.match(
          byName.stderr,
          /^hint: Check the name \(psql -l/m,
          "a database name has no branch to create",
        );
      });
    } finally {
      await pg.stop();
      await tmp.cleanup();
    }
  },
);

Deno.test({
  name: "a clone killed with SIGKILL leaves an unfinished record that the next create makes again",
  ignore,
}, async () => {
  const tmp = await tempDir();
  const pg = await startPostgres();
  let child: Deno.ChildProcess | undefined;
  try {
    const w = await world(pg, tmp.path, "killed");
    await seed(pg, "killed_dev_main", 400_000);
    const held = await holdSession(pg, "killed_dev_main"); // the slow path: dump and restore
    try {
      child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", MAIN, "db", "create", "--branch", "db-killed"],
        cwd: w.repo,
        env: childEnv({ db: w.db, env: { TREEHOUSE_POOL: POOL, TREEHOUSE_DATABASE_URL: pg.url } }),
        clearEnv: true,
        stdout: "null",
        stderr: "null",
      }).spawn();
      // Wait until the copy has started: the record says `creating` and the partial database exists.
      for (;;) {
        const state = await recordState(w.db, "killed_dev_db_killed");
        if (state === "ready") throw new Error("the copy finished before it could be killed");
        if (state === "creating" && await w.exists("killed_dev_db_killed")) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill("SIGKILL");
      await child.status;
      child = undefined;
      assert.equal(await recordState(w.db, "killed_dev_db_killed"), "creating", "never recorded as ready");
      const list = JSON.parse((await w.run(["db", "list", "--json"])).stdout) as {
        name: string;
        state: string;
      }[];
      assert.equal(list.find((d) => d.name === "killed_dev_db_killed")?.state, "creating");
      const text = await w.run(["db", "list"]);
      assert.match(text.stdout, /db-killed\s+killed_dev_db_killed\s+\S+( \S+)?\s+unfinished/);
    } finally {
      await held.close();
    }
    const again = await w.run(["db", "create", "--branch", "db-killed", "--json"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /an earlier create of killed_dev_db_killed did not finish: making it again/);
    assert.equal(JSON.parse(again.stdout).method, "template");
    assert.equal(await count(pg, "killed_dev_db_killed"), 400_000);
    assert.equal(await recordState(w.db, "killed_dev_db_killed"), "ready");
  } finally {
    if (child) {
      child.kill("SIGKILL");
      await child.status;
    }
    await pg.stop();
    await tmp.cleanup();
  }
});

async function recordState(registryPath: string, name: string): Promise<string | undefined> {
  try {
    await Deno.stat(registryPath);
  } catch {
    return undefined;
  }
  const db = new DatabaseSync(registryPath, { readOnly: true });
  try {
    const row = db.prepare("SELECT state FROM databases WHERE name = ?").get(name) as
      | { state?: string }
      | undefined;
    return row?.state;
  } catch {
    return undefined; // the schema is being created
  } finally {
    db.close();
  }
}

Deno.test({
  name:
    "release --drop-database and cleanup --drop-databases drop only the databases of the branches they remove",
  ignore,
}, async (t) => {
  const tmp = await tempDir();
  const pg = await startPostgres();
  try {
    const w = await world(pg, tmp.path, "gone");
    await seed(pg, "gone_dev_main", 10);

    await t.step("release without the flag keeps the database; with it, drops it", async () => {
      assert.equal((await w.run(["db", "create", "--branch", "db-rel"])).code, 0);
      const keep = await w.run(["release", "--branch", "db-rel"]);
      assert.equal(keep.code, 0, keep.stderr);
      assert.ok(await w.exists("gone_dev_db_rel"), "release alone never drops data");
      assert.equal((await w.run(["ip", "--branch", "db-rel"])).code, 0);
      const r = await w.run(["release", "--branch", "db-rel", "--drop-database", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.databases[0].record.name, "gone_dev_db_rel");
      assert.equal(out.databases[0].dropped, true);
      assert.equal(await w.exists("gone_dev_db_rel"), false);
    });

    await t.step(
      "cleanup --drop-databases --dry-run names the database and drops nothing; then it drops it",
      async () => {
        await git(w.repo, "branch", "db-clean");
        await git(w.repo, "branch", "db-stays");
        assert.equal((await w.run(["db", "create", "db-clean"])).code, 0);
        assert.equal((await w.run(["db", "create", "db-stays"])).code, 0);
        await git(w.repo, "branch", "-D", "db-clean");
        const dry = await w.run(["cleanup", "--drop-databases", "--dry-run"]);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, /database\s+db-clean\s+gone_dev_db_clean/);
        assert.match(dry.stdout, /^KIND\s+NAME\s+IP\/PORT\/DATABASE\s+PROJECT\s+REASON/);
        assert.match(dry.stderr, /Would remove 1 allocation and 1 database/);
        assert.ok(await w.exists("gone_dev_db_clean"));
        const plain = await w.run(["cleanup"]);
        assert.equal(plain.code, 0, plain.stderr);
        assert.ok(await w.exists("gone_dev_db_clean"), "cleanup without the flag never drops data");
        const r = await w.run(["cleanup", "--drop-databases"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /Removed 1 database/);
        assert.equal(await w.exists("gone_dev_db_clean"), false);
        assert.ok(await w.exists("gone_dev_db_stays"), "an existing branch keeps its database");
        assert.ok(await w.exists("gone_dev_main"), "a database treehouse did not create stays");
      },
    );
  } finally {
    await pg.stop();
    await tmp.cleanup();
  }
});

Deno.test({
  name: "run creates the branch's database before the server starts, and the next run connects to nothing",
  ignore,
}, async (t) => {
  const tmp = await tempDir();
  const pg = await startPostgres();
  try {
    const w = await world(pg, tmp.path, "runapp");
    await seed(pg, "runapp_dev_main", 42);
    const port = String(freePort());
    const show = [
      "sh",
      "-c",
      'echo "DATABASE_URL=$DATABASE_URL TREEHOUSE_DATABASE_URL=$TREEHOUSE_DATABASE_URL"',
    ];
    const runWith = (mode: string[], env: Record<string, string> = {}) =>
      w.run(["run", ...mode, "--branch", "db-run", "--port", port, "--no-mdns", "--", ...show], env);
    const expected = `${pg.url}/runapp_dev_db_run`;

    await t.step(
      "run --db clone clones the base on first start and gives the child DATABASE_URL",
      async () => {
        const r = await runWith(["--db", "clone"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /created database runapp_dev_db_run from runapp_dev_main \(TEMPLATE\)/);
        assert.match(r.stderr, /DB URL\s+postgres:\/\/postgres@127\.0\.0\.1:\d+\/runapp_dev_db_run/);
        assert.equal(r.stdout.trim(), `DATABASE_URL=${expected} TREEHOUSE_DATABASE_URL=${expected}`);
        assert.equal(await count(pg, "runapp_dev_db_run"), 42);
      },
    );

    await t.step("a DATABASE_URL already in the environment wins, with a note saying so", async () => {
      const r = await runWith(["--database", "clone"], { DATABASE_URL: "postgres://elsewhere/x" });
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /DATABASE_URL from the environment was kept; TREEHOUSE_DATABASE_URL is the branch's/,
      );
      assert.equal(r.stdout.trim(), `DATABASE_URL=postgres://elsewhere/x TREEHOUSE_DATABASE_URL=${expected}`);
    });

    await t.step('[database] create = "no" (the default) leaves the environment alone', async () => {
      const r = await runWith([]);
      assert.equal(r.code, 0, r.stderr);
      // TREEHOUSE_DATABASE_URL is the test's server URL, inherited unchanged.
      assert.equal(r.stdout.trim(), `DATABASE_URL= TREEHOUSE_DATABASE_URL=${pg.url}`);
    });

    await t.step(
      "with the database recorded, the next run starts while the server is down (no connection)",
      async () => {
        await pg.halt();
        await Deno.writeTextFile(`${w.repo}/treehouse.toml`, '[database]\ncreate = "clone"\n');
        const r = await runWith([]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), `DATABASE_URL=${expected} TREEHOUSE_DATABASE_URL=${expected}`);
      },
    );

    await t.step(
      "a branch without its database and the server down: exit 14 before the server starts",
      async () => {
        const r = await w.run(
          ["run", "--db", "empty", "--branch", "db-run-down", "--port", port, "--no-mdns", "--", ...show],
        );
        assert.equal(r.code, 14, r.stderr);
        assert.match(r.stderr, /Cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+/);
        assert.equal(r.stdout, "", "the command never ran");
        const doctor = await w.run(["doctor", "--json"], { TREEHOUSE_DOCTOR_ROUND_TRIP: "0" });
        const check = JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === "database");
        assert.equal(check?.status, "fail", "run needs the server: doctor fails the check");
        assert.match(check.detail, /Cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1/);
      },
    );
  } finally {
    await pg.stop();
    await tmp.cleanup();
  }
});

if (!hasTmux) skipped("db progress test: tmux is not installed");

Deno.test({
  name: "on a terminal the pg_dump | pg_restore copy shows a progress line",
  ignore: ignore || !hasTmux,
}, async () => {
  const tmp = await tempDir();
  const pg = await startPostgres();
  const socket = tmuxSocket("treehouse-db-test");
  try {
    const w = await world(pg, tmp.path, "tty");
    await seed(pg, "tty_dev_main", 300_000);
    const held = await holdSession(pg, "tty_dev_main");
    try {
      const env = childEnv({ db: w.db, env: { TREEHOUSE_POOL: POOL, TREEHOUSE_DATABASE_URL: pg.url } });
      const done = `${tmp.path}/done`;
      const command = [
        treehouseWords(env),
        "db create --branch db-tty; echo $? >",
        shellQuote(done),
      ].join(" ");
      await Deno.writeTextFile(`${tmp.path}/create.sh`, `cd ${shellQuote(w.repo)} && ${command}\n`);
      await newSession(socket, `sh ${tmp.path}/create.sh; sleep 60`);
      for (let i = 0; i < 1200; i++) {
        if (await Deno.stat(done).then(() => true, () => false)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await Deno.readTextFile(done)).trim(), "0");
      const screen = await tmux(socket, "capture-pane", "-p", "-t", "t");
      assert.match(screen, /treehouse: copying with pg_dump \| pg_restore: [\d.]+ [kMG]B/);
      assert.match(screen, /Created tty_dev_db_tty: copied from tty_dev_main \(pg_dump \| pg_restore\)/);
    } finally {
      await held.close();
    }
  } finally {
    await tmux(socket, "kill-server");
    await pg.stop();
    await tmp.cleanup();
  }
});
