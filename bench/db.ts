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
  rounds = 30,
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
    if (i % 2 === 0) {
      srcWith.push(await start(["--db", "clone"], [MAIN])), srcWithout.push(await start([], [MAIN]));
    } else srcWithout.push(await start([], [MAIN])), srcWith.push(await start(["--db", "clone"], [MAIN]));
  }
  const hook = await hookCost(tmp);
  const a = median(withDb);
  const b = median(without);
  // Rounds alternate, so each pair saw the same load: the median of the pairs' differences, and the
  // middle half of them (how much a single pair means on this machine).
  const diffs = withDb.map((w, i) => w - (without[i] ?? w));
  const extra = median(diffs);
  const src = median(srcWith.map((w, i) => w - (srcWithout[i] ?? w)));
  const signed = (v: number) => `${v >= 0 ? "+" : ""}${ms(v)}`;
  return {
    name:
      "`treehouse run --db clone` start with the branch's database recorded vs without the database feature",
    ratio: (b + extra) / b,
    goal: "≤ +5 ms",
    detail: `${ms(a)} vs ${ms(b)} (bundle, medians of ${rounds}); median difference of ${rounds} ` +
      `alternating pairs ${signed(extra)} (middle half of the pairs ${signed(quantile(diffs, 0.25))} to ${
        signed(quantile(diffs, 0.75))
      }): ${extra <= 5 ? "met" : "NOT met"}; from the source tree ${signed(src)} (${rounds / 2} pairs); ` +
      `in-process, the collaborator's modules (loaded by every run, with or without the feature) took ${
        ms(hook.importMs)
      } and its recorded-database check ${ms(hook.checkMs)} (median of 50)`,
  };
}

/** The `q` quantile of `values` (nearest rank). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? NaN;
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

/**
 * What a `db create` costs besides the copy, as phases: an empty Deno process, the CLI up to the
 * registry (`db url`, no connection), `db create` of a database that exists (everything but the
 * copy) vs `createdb` of a name that exists (libpq's own fixed cost), and inside one process the
 * client's load, connect, the statements around CREATE DATABASE and close (bench/pg_client_cost.ts).
 */
async function fixedCosts(
  pg: PgCluster,
  treehouse: (args: string[]) => Promise<number>,
  source: (args: string[]) => Promise<number>,
  pgArgs: string[],
  rounds = 7,
): Promise<string> {
  const empty = `${Deno.makeTempDirSync({ prefix: "treehouse-bench-empty-" })}/empty.js`;
  Deno.writeTextFileSync(empty, "");
  await treehouse(["db", "create", "--branch", "bench-fixed", "--empty"]);
  const failing = async (cmd: string, args: string[]) => {
    const t0 = performance.now();
    await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return performance.now() - t0;
  };
  const series: Record<string, number[]> = { deno: [], url: [], exists: [], existsSrc: [], createdb: [] };
  const phases: Record<string, number[]> = { start: [], load: [], connect: [], statements: [], close: [] };
  for (let i = 0; i < rounds; i++) {
    series.deno!.push(await timeCommand(DENO, ["run", "--quiet", "--no-config", empty]));
    series.url!.push(await treehouse(["db", "url", "--branch", "bench-fixed"]));
    series.exists!.push(await treehouse(["db", "create", "--branch", "bench-fixed", "--empty"]));
    series.existsSrc!.push(await source(["db", "create", "--branch", "bench-fixed", "--empty"]));
    series.createdb!.push(await failing(`${PG_BIN}/createdb`, [...pgArgs, "benchapp_dev_main"]));
    const out = await new Deno.Command(DENO, {
      args: ["run", "-A", "--quiet", new URL("./pg_client_cost.ts", import.meta.url).pathname, pg.url],
      stdout: "piped",
      stderr: "null",
    }).output();
    const times = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<string, number>;
    for (const key of Object.keys(phases)) phases[key]!.push(times[key] ?? NaN);
  }
  await treehouse(["db", "drop", "--branch", "bench-fixed", "--yes"]);
  await Deno.remove(empty.slice(0, empty.lastIndexOf("/")), { recursive: true });
  const m = (key: string) => ms(median(series[key]!));
  const p = (key: string) => ms(median(phases[key]!));
  return `besides the copy (medians of ${rounds}): an empty Deno process ${m("deno")}, \`db url\` (CLI, ` +
    `settings, registry; no connection) ${m("url")}, \`db create\` of an existing database ${
      m("exists")
    } (source tree ${m("existsSrc")}) vs \`createdb\` of an existing name ${m("createdb")}; in-process: ` +
    `loading npm:postgres and its Node modules ${p("load")}, connect ${p("connect")}, the statements ` +
    `around CREATE DATABASE ${p("statements")}, close ${p("close")}`;
}

/** The clone and fallback benchmarks; [] (with a note) where PostgreSQL cannot run. */
export async function benchDb(rounds = 5): Promise<BenchResult[]> {
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

    // TREEHOUSE_BENCH_DB=clone|busy|run runs one part only.
    const part = Deno.env.get("TREEHOUSE_BENCH_DB");
    if (part === "run") return [await benchRunStart(tmp, env, treehouse)];
    await seed(pg, "benchapp_dev_main", 100);
    const size = await sizeMb(pg, "benchapp_dev_main");
    const source = (args: string[]) =>
      timeCommand(DENO, ["run", "-A", "--quiet", MAIN, ...args], { cwd: repo, env });
    await treehouse(["db", "url"]); // module cache and registry warm
    await source(["db", "url"]);
    const fast: number[] = [];
    const fastSource: number[] = [];
    const floor: number[] = [];
    // Each copy starts after a CHECKPOINT (untimed): a copy right after a drop would pay for the
    // drop's dirty buffers. The order of the three rotates from round to round.
    const checkpoint = () => pg.psql("CHECKPOINT");
    const contenders = [
      async (i: number) => {
        await checkpoint();
        fast.push(await treehouse(["db", "create", "--branch", `bench-${i}`, "--from", "main"]));
        await dropBranch(`bench-${i}`);
      },
      async (i: number) => {
        await checkpoint();
        fastSource.push(await source(["db", "create", "--branch", `bench-src-${i}`, "--from", "main"]));
        await source(["db", "drop", "--branch", `bench-src-${i}`, "--yes"]);
      },
      async (i: number) => {
        await checkpoint();
        floor.push(
          await timeCommand(`${PG_BIN}/createdb`, [...pgArgs, "-T", "benchapp_dev_main", `floor_${i}`]),
        );
        await drop(`floor_${i}`);
      },
    ];
    for (let i = 0; i < (part === "busy" ? 0 : rounds); i++) {
      for (let k = 0; k < contenders.length; k++) await contenders[(i + k) % contenders.length]!(i);
    }
    const fixed = part === "busy" ? "" : await fixedCosts(pg, treehouse, source, pgArgs);
    const results: BenchResult[] = [];
    if (part === undefined || part === "clone") {
      results.push({
        name: `\`treehouse db create --from main\` of a ${size.toFixed(0)} MB database vs \`createdb -T\``,
        ratio: median(fast) / median(floor),
        goal: "≤ 1.1×",
        detail:
          `bundle ${ms(median(fast))} vs ${ms(median(floor))} (medians of ${rounds}); from the source ` +
          `tree (deno run main.ts) ${ms(median(fastSource))} = ${
            (median(fastSource) / median(floor)).toFixed(2)
          }×; ${fixed}`,
      });
    }

    if (part === "clone") return results;
    // The busy base: a session holds it, as the main branch's server would. First its fast copy while
    // nobody holds it, to compare the two ways on the same base.
    await seed(pg, "benchapp_dev_busy", 30);
    const busySize = await sizeMb(pg, "benchapp_dev_busy");
    const fallbackRounds = 3;
    const idle: number[] = [];
    for (let i = 0; i < fallbackRounds; i++) {
      await checkpoint();
      idle.push(
        await treehouse(["db", "create", "--branch", `idle-${i}`, "--from-database", "benchapp_dev_busy"]),
      );
      await dropBranch(`idle-${i}`);
    }
    const holder = new Deno.Command(`${PG_BIN}/psql`, {
      args: [...pgArgs, "-d", "benchapp_dev_busy", "-c", "SELECT pg_sleep(600)"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const slow: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < fallbackRounds; i++) {
        const ours = async () => {
          await checkpoint();
          slow.push(
            await treehouse([
              "db",
              "create",
              "--branch",
              `busy-${i}`,
              "--from-database",
              "benchapp_dev_busy",
            ]),
          );
          await dropBranch(`busy-${i}`);
        };
        const theirs = async () => {
          await checkpoint();
          const script = `${PG_BIN}/createdb ${pgArgs.join(" ")} bare_${i} && ` +
            `${PG_BIN}/pg_dump ${pgArgs.join(" ")} -Fc benchapp_dev_busy | ` +
            `${PG_BIN}/pg_restore ${pgArgs.join(" ")} --exit-on-error -d bare_${i}`;
          bare.push(await timeCommand("sh", ["-c", script]));
          await drop(`bare_${i}`);
        };
        if (i % 2 === 0) await ours().then(theirs);
        else await theirs().then(ours);
      }
      results.push({
        name: `busy-base fallback (\`db create\` while a session holds a ${
          busySize.toFixed(0)
        } MB base) vs bare \`createdb && pg_dump -Fc | pg_restore\``,
        ratio: median(slow) / median(bare),
        goal: "≤ 1.1×",
        detail: `${ms(median(slow))} vs ${ms(median(bare))} (medians of ${fallbackRounds}); the same base ` +
          `copied with TEMPLATE while nobody holds it: ${ms(median(idle))}, so the fallback is ${
            (median(slow) / median(idle)).toFixed(1)
          }× the fast copy`,
      });
    } finally {
      holder.kill("SIGTERM");
      await holder.status;
    }
    if (part === undefined) results.push(await benchRunStart(tmp, env, treehouse));
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
