/**
 * Control benchmarks (issue 15): `treehouse restart` until the server answers again vs stopping and
 * starting the bare server by hand; `treehouse status --json` vs `treehouse ip`, both on an allocated
 * branch with a detached run. Each against its floor in the same run.
 */
import { type BenchResult, freePort, MAIN, median, ms, timeCommand } from "./lib.ts";

const DENO = Deno.execPath();

async function makeRepo(dir: string): Promise<void> {
  const env = {
    GIT_AUTHOR_NAME: "b",
    GIT_AUTHOR_EMAIL: "b@b",
    GIT_COMMITTER_NAME: "b",
    GIT_COMMITTER_EMAIL: "b@b",
  };
  await new Deno.Command("git", { args: ["init", "-q", "-b", "main", dir], env }).output();
  await new Deno.Command("git", { args: ["-C", dir, "commit", "-q", "--allow-empty", "-m", "x"], env })
    .output();
}

async function answers(hostname: string, port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname, port })).close();
    return true;
  } catch {
    return false;
  }
}

async function untilAnswers(hostname: string, port: number): Promise<void> {
  while (!(await answers(hostname, port))) await new Promise((r) => setTimeout(r, 2));
}

/** A branch with a detached python3 http.server, for the benchmarks; `stop()` ends it. */
async function detachedServer() {
  const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-ctrl-" });
  const repo = `${tmp}/app`;
  await makeRepo(repo);
  const port = freePort();
  const env = {
    TREEHOUSE_DB: `${tmp}/data/registry.db`,
    TREEHOUSE_RUNTIME_DIR: `${tmp}/rt`,
    TREEHOUSE_POOL: "127.0.5.100-127.0.5.120",
    NO_COLOR: "1",
  };
  const treehouse = (...args: string[]) =>
    timeCommand(DENO, ["run", "-A", "--quiet", MAIN, ...args], { cwd: repo, env });
  await treehouse(
    "run",
    "--detach",
    "--no-mdns",
    "--port",
    String(port),
    "--",
    "python3",
    "-m",
    "http.server",
    "{port}",
    "--bind",
    "{ip}",
  );
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", "--quiet", MAIN, "ip"],
    cwd: repo,
    env,
    stdout: "piped",
  }).output();
  const ip = new TextDecoder().decode(out.stdout).trim();
  return {
    ip,
    port,
    treehouse,
    async stop() {
      await treehouse("stop").catch(() => 0);
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    },
  };
}

/** `treehouse restart` until it answers vs kill + start of the bare server by hand. Goal ≤ 1.2× + 30 ms. */
export async function benchRestart(rounds = 9): Promise<BenchResult> {
  const server = await detachedServer();
  const port = freePort();
  const start = () =>
    new Deno.Command("python3", {
      args: ["-m", "http.server", String(port), "--bind", "127.0.0.1"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  let bare = start();
  try {
    await untilAnswers("127.0.0.1", port);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let t0 = performance.now();
      await server.treehouse("restart");
      await untilAnswers(server.ip, server.port);
      a.push(performance.now() - t0);
      t0 = performance.now();
      bare.kill("SIGTERM");
      await bare.status;
      bare = start();
      await untilAnswers("127.0.0.1", port);
      b.push(performance.now() - t0);
    }
    const t = median(a);
    const f = median(b);
    return {
      name: "`treehouse restart` until python3 http.server answers again vs kill + start by hand",
      ratio: t / f,
      goal: "≤ 1.2× + 30 ms",
      detail: `${ms(t)} vs ${ms(f)}, goal ${ms(1.2 * f + 30)} (${
        t <= 1.2 * f + 30 ? "met" : "NOT met"
      }; median of ${rounds})`,
    };
  } finally {
    try {
      bare.kill("SIGKILL");
    } catch { /* gone */ }
    await bare.status;
    await server.stop();
  }
}

/** `treehouse status --json` vs `treehouse ip` on the same allocated branch. Goal ≤ 1.5×. */
export async function benchStatus(rounds = 15): Promise<BenchResult> {
  const server = await detachedServer();
  try {
    await server.treehouse("status", "--json");
    await server.treehouse("ip");
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < rounds; i++) {
      a.push(await server.treehouse("status", "--json"));
      b.push(await server.treehouse("ip"));
    }
    const t = median(a);
    const f = median(b);
    return {
      name: "`treehouse status --json` vs `treehouse ip` (allocated branch, detached run)",
      ratio: t / f,
      goal: "≤ 1.5×",
      detail: `${ms(t)} vs ${ms(f)} (median of ${rounds})`,
    };
  } finally {
    await server.stop();
  }
}
