/**
 * Port reservation benchmarks: `treehouse port reserve` (a new key, the worst case: the scan must
 * pass every reserved port), `treehouse port list --path` and `reserve-group` (a new group) with 10,000 reservations in the
 * registry vs with 10. Goal ≤ 1.2× each. The lead wires `benchPorts` into `bench/run.ts`.
 */
import { DatabaseSync } from "node:sqlite";
import { type BenchResult, MAIN, median, ms, timeCommand } from "./lib.ts";

const DENO = Deno.execPath();
const RANGE = "10000-60000";

/** Creates a registry holding `n` reservations on ports 10000… (one contiguous block). */
async function seed(dir: string, n: number): Promise<string> {
  const db = `${dir}/registry-${n}.db`;
  await timeCommand(DENO, ["run", "-A", "--quiet", MAIN, "--db", db, "port", "init"], { cwd: dir });
  const sqlite = new DatabaseSync(db);
  try {
    const now = Date.now();
    const insert = sqlite.prepare(
      `INSERT INTO reservations (path, tag, port, project, task, created_at, last_used_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
    );
    sqlite.exec("BEGIN");
    for (let i = 0; i < n; i++) {
      insert.run(
        `/bench/project-${i % 500}/dir-${i}`,
        i % 3 ? `svc${i % 7}` : "",
        10000 + i,
        `project-${i % 500}`,
        "main",
        now,
        now,
      );
    }
    sqlite.exec("COMMIT");
  } finally {
    sqlite.close();
  }
  return db;
}

/** Both benchmarks: reserve and list, large registry vs small. */
export async function benchPorts(rounds = 15): Promise<BenchResult[]> {
  const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-ports-" });
  try {
    const small = await seed(tmp, 10);
    const large = await seed(tmp, 10_000);
    const env = { NO_COLOR: "1", TREEHOUSE_PORTS_RANGE: RANGE, HOME: tmp, XDG_CONFIG_HOME: `${tmp}/xdg` };
    const run = (db: string, args: string[]) =>
      timeCommand(DENO, ["run", "-A", "--quiet", MAIN, "--db", db, "port", ...args], { cwd: tmp, env });
    const group = "[group]\n[group.web]\noffset = 0\n[group.api]\noffset = 1\n[group.db]\noffset = 2\n";
    for (let i = -2; i < rounds; i++) {
      await Deno.mkdir(`${tmp}/group-${i}`);
      await Deno.writeTextFile(`${tmp}/group-${i}/treehouse.toml`, group);
    }
    const results: BenchResult[] = [];
    for (
      const [name, args] of [
        ["`port reserve` (new key)", (i: number) => ["reserve", "--path", `${tmp}/new-${i}`]],
        ["`port list --path`", () => ["list", "--path", "/bench/project-5/dir-5", "--json"]],
        [
          "`port reserve-group` (new group of 3)",
          (i: number) => ["reserve-group", `${tmp}/group-${i}/treehouse.toml`],
        ],
      ] as const
    ) {
      await run(small, args(-1)); // warm the module cache
      await run(large, args(-2));
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < rounds; i++) {
        a.push(await run(large, args(i)));
        b.push(await run(small, args(i)));
      }
      const t = median(a);
      const f = median(b);
      results.push({
        name: `${name} with 10,000 reservations vs with 10`,
        ratio: t / f,
        goal: "≤ 1.2×",
        detail: `${ms(t)} vs ${ms(f)} (median of ${rounds})`,
      });
    }
    return results;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  for (const r of await benchPorts()) {
    Deno.stdout.writeSync(
      new TextEncoder().encode(`${r.ratio.toFixed(2)}×  (goal ${r.goal})  ${r.name}: ${r.detail}\n`),
    );
  }
}
