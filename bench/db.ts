// deno-lint-ignore-file no-console -- a benchmark script reports on stdout
/**
 * Per-branch database benchmarks on a throwaway PostgreSQL cluster (skipped where PostgreSQL cannot
 * run), each against a floor measured in the same run on the same server:
 * - `treehouse db create --from main` of a ~100 MB database vs `createdb -T` (goal ≤ 1.1×);
 * - the busy-base fallback (a session holds the base) vs a bare `pg_dump -Fc | pg_restore` (goal ≤ 1.1×);
 * - `treehouse run` until its server answers with an existing branch database vs without the database
 *   feature (goal ≤ +5 ms).
 *
 * Run alone: `deno run -A bench/db.ts`.
 */
import {
  type BenchResult,
  bundle,
  BUNDLE_FLAGS,
  MAIN,
  median,
  ms,
  timeCommand,
  untilAnswers,
} from "./lib.ts";
import { PG_BIN, type PgCluster, POSTGRES_MISSING, startPostgres } from "../tests/helpers/postgres.ts";

const DENO = Deno.execPath();
const SERVER = new URL("../examples/server.ts", import.meta.url).pathname;

/** The run hook's own cost, in this process: loading its modules (once) and the recorded-database check. */
async function hookCost(tmp: string): Promise<{ importMs: number; checkMs: number }> {
  const t0 = performance.now();
  const [{ ensureBranchDatabase }, { Registry }, { adoptDatabase }] = await Promise.all([
    import("../src/services/db/ensure.ts"),
    import("../src/registry/registry.ts"),
    import("../src/registry/databases.ts"),
  ]);
  const importMs = performance.now() - t0;
  const registry = Registry.open(`${tmp}/hook.db`);
  try {
    adoptDatabase(registry, {
      server: "127.0.0.1:1",
      name: "app_dev_x",
      project_path: "/p",
      branch: "x",
      now: 1,
    });
    const env = (
      name: string,
    ) => (name === "TREEHOUSE_DATABASE_URL" ? "postgres://u@127.0.0.1:1" : undefined);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await ensureBranchDatabase(registry, {
        mode: "clone",
        project_path: "/p",
        branch: "x",
        app: "app",
        name: "app_dev_x",
        database: {},
        env,
      });
      times.push(performance.now() - t);
    }
    return { importMs, checkMs: median(times) };
  } finally {
    registry.close();
  }
}

/**
 * `treehouse run` until its server answers, with `--db clone` and the branch's database already
 * recorded (one registry read, no connection) vs without the database feature. Goal ≤ +5 ms.
 */
async function benchRunStart(
  tmp: string,
  env: Record<string, string>,
  treehouse: (args: string[]) => Promise<number>,
  rounds = 20,
): Promise<BenchResult> {
  const project = `${tmp}/runproject`;
  await Deno.mkdir(project);
  await treehouse(["db", "create", "--branch", "bench-run", "--project", project, "--empty"]);
  const ipOut = await new Deno.Command(DENO, {
    args: ["run", "-A", "--quiet", MAIN, "ip", "--branch", "bench-run", "--project", project],
    env,
    stdout: "piped",
  }).output();
  const ip = new TextDecoder().decode(ipOut.stdout).trim();
  const listener = Deno.listen({ hostname: ip, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  // What users run: the bundle the release binary is compiled from (the source tree is shown too).
  const bundled = [...BUNDLE_FLAGS, `${tmp}/bundle/main.js`];
  const start = async (db: string[], entry = bundled) => {
    const t0 = performance.now();
    const child = new Deno.Command(DENO, {
      args: [
        "run",
        "-A",
        "--quiet",
        ...entry,
        "run",
        ...db,
        "--quiet",
        "--no-mdns",
        "--branch",
        "bench-run",
        "--project",
        project,
        "--port",
        String(port),
        "--",
        DENO,
        "run",
        "--quiet",
        "--allow-net",
        "--allow-env",
        SERVER,
      ],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      return await untilAnswers(`http://${ip}:${port}/json`, t0, child, 2);
    } finally {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    }
  };
  await start(["--db", "clone"]);
  await start([]);
  const withDb: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) withDb.push(await start(["--db", "clone"])), without.push(await start([]));
    else without.push(await start([])), withDb.push(await start(["--db", "clone"]));
  }
  const srcWith: number[] = [];
  const srcWithout: number[] = [];
  for (let i = 0; i < rounds / 2; i++) {
    srcWith.push(await start(["--db", "clone"], [MAIN]));
    srcWithout.push(await start([], [MAIN]));
  }
  const hook = await hookCost(tmp);
  const a = median(withDb);
  const b = median(without);
  // Rounds alternate, so each pair saw the same load: the median of the pairs' differences.
  const extra = median(withDb.map((w, i) => w - (without[i] ?? w)));
  const src = median(srcWith) - median(srcWithout);
  return {
    name:
      "`treehouse run --db clone` start with the branch's database recorded vs without the database feature",
    ratio: (b + extra) / b,
    goal: "≤ +5 ms",
    detail: `${ms(a)} vs ${ms(b)} (bundle, medians of ${rounds}); median difference of alternating pairs ${
      extra >= 0 ? "+" : ""
    }${ms(extra)}: ${extra <= 5 ? "met" : "NOT met"}; from the source tree ${src >= 0 ? "+" : ""}${
      ms(src)
    }; in-process, loading the collaborator's modules took ${ms(hook.importMs)} and its check ${
      ms(hook.checkMs)
    } (median of 50)`,
  };
}

function gitEnv(): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: "b",
    GIT_AUTHOR_EMAIL: "b@b",
    GIT_COMMITTER_NAME: "b",
    GIT_COMMITTER_EMAIL: "b@b",
  };
}

async function makeRepo(dir: string): Promise<void> {
  await new Deno.Command("git", { args: ["init", "-q", "-b", "main", dir], env: gitEnv() }).output();
  await new Deno.Command("git", {
    args: ["-C", dir, "commit", "-q", "--allow-empty", "-m", "x"],
    env: gitEnv(),
  })
    .output();
}

/** Fills `name` with about `mb` megabytes of rows. */
async function seed(pg: PgCluster, name: string, mb: number): Promise<void> {
  await pg.psql(`CREATE DATABASE "${name}"`);
  const rows = mb * 7_000; // ~140 bytes a row with its index
  await pg.psql(
    `CREATE TABLE items (id int PRIMARY KEY, label text, body text);
     INSERT INTO items SELECT g, 'item ' || g, repeat(md5(g::text), 2) FROM generate_series(1, ${rows}) g;`,
    name,
  );
  await pg.psql("VACUUM ANALYZE items", name);
}

async function sizeMb(pg: PgCluster, name: string): Promise<number> {
  return Number((await pg.psql(`SELECT pg_database_size('${name}')`)).trim()) / 1e6;
}

/** The clone and fallback benchmarks; [] (with a note) where PostgreSQL cannot run. */
export async function benchDb(rounds = 3): Promise<BenchResult[]> {
  if (POSTGRES_MISSING !== undefined) {
    Deno.stderr.writeSync(new TextEncoder().encode(`db benchmarks skipped: ${POSTGRES_MISSING}\n`));
    return [];
  }
  const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-db-" });
  const pg = await startPostgres();
  try {
    const repo = `${tmp}/benchapp`;
    await makeRepo(repo);
    const env = {
      TREEHOUSE_DB: `${tmp}/registry.db`,
      TREEHOUSE_DATABASE_URL: pg.url,
      TREEHOUSE_POOL: "127.0.4.10-127.0.4.99",
      NO_COLOR: "1",
    };
    // What users run: the bundle the release binary is compiled from.
    const entry = [...BUNDLE_FLAGS, await bundle(`${tmp}/bundle`)];
    const treehouse = (args: string[]) =>
      timeCommand(DENO, ["run", "-A", "--quiet", ...entry, ...args], { cwd: repo, env });
    const pgArgs = ["-h", pg.host, "-p", String(pg.port), "-U", "postgres"];
    const drop = (name: string) => pg.psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    const dropBranch = (branch: string) => treehouse(["db", "drop", "--branch", branch, "--yes"]);

    if (Deno.env.get("TREEHOUSE_BENCH_DB") === "run") return [await benchRunStart(tmp, env, treehouse)];
    await seed(pg, "benchapp_dev_main", 100);
    const size = await sizeMb(pg, "benchapp_dev_main");
    await treehouse(["db", "url"]); // module cache and registry warm
    const fast: number[] = [];
    const floor: number[] = [];
    // Alternating which goes first: a copy right after a drop pays for the drop's checkpoint.
    for (let i = 0; i < rounds; i++) {
      const ours = async () => {
        fast.push(await treehouse(["db", "create", "--branch", `bench-${i}`, "--from", "main"]));
        await dropBranch(`bench-${i}`);
      };
      const theirs = async () => {
        floor.push(
          await timeCommand(`${PG_BIN}/createdb`, [...pgArgs, "-T", "benchapp_dev_main", `floor_${i}`]),
        );
        await drop(`floor_${i}`);
      };
      if (i % 2 === 0) await ours().then(theirs);
      else await theirs().then(ours);
    }
    const results: BenchResult[] = [{
      name: `\`treehouse db create --from main\` of a ${size.toFixed(0)} MB database vs \`createdb -T\``,
      ratio: median(fast) / median(floor),
      goal: "≤ 1.1×",
      detail: `${ms(median(fast))} vs ${ms(median(floor))} (median of ${rounds})`,
    }];

    // The busy base: a session holds it, as the main branch's server would.
    await seed(pg, "benchapp_dev_busy", 30);
    const busySize = await sizeMb(pg, "benchapp_dev_busy");
    const holder = new Deno.Command(`${PG_BIN}/psql`, {
      args: [...pgArgs, "-d", "benchapp_dev_busy", "-c", "SELECT pg_sleep(600)"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const slow: number[] = [];
      const bare: number[] = [];
      const fallbackRounds = Math.max(1, rounds - 1);
      for (let i = 0; i < fallbackRounds; i++) {
        slow.push(
          await treehouse(["db", "create", "--branch", `busy-${i}`, "--from-database", "benchapp_dev_busy"]),
        );
        await dropBranch(`busy-${i}`);
        const script = `${PG_BIN}/createdb ${pgArgs.join(" ")} bare_${i} && ` +
          `${PG_BIN}/pg_dump ${pgArgs.join(" ")} -Fc benchapp_dev_busy | ` +
          `${PG_BIN}/pg_restore ${pgArgs.join(" ")} --exit-on-error -d bare_${i}`;
        bare.push(await timeCommand("sh", ["-c", script]));
        await drop(`bare_${i}`);
      }
      results.push({
        name: `busy-base fallback (\`db create\` while a session holds a ${
          busySize.toFixed(0)
        } MB base) vs bare \`createdb && pg_dump -Fc | pg_restore\``,
        ratio: median(slow) / median(bare),
        goal: "≤ 1.1×",
        detail:
          `${ms(median(slow))} vs ${ms(median(bare))} (median of ${fallbackRounds}); the fast copy of ` +
          `the 100 MB base took ${ms(median(fast))}`,
      });
    } finally {
      holder.kill("SIGTERM");
      await holder.status;
    }
    results.push(await benchRunStart(tmp, env, treehouse));
    return results;
  } finally {
    await pg.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  for (const r of await benchDb()) {
    console.log(`${r.ratio.toFixed(2)}×  (goal ${r.goal})  ${r.name}: ${r.detail}`);
  }
}
