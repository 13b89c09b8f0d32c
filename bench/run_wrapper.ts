/**
 * `treehouse run` benchmarks, each against a floor measured in the same run:
 * - time from start until the wrapped server answers HTTP vs the bare server (goal ≤ 1.2× + 50 ms);
 * - the wrapper's own private memory (what each running branch costs; resident memory shown too) while
 *   its child runs vs a bare idle Deno process (goal ≤ 1.2×).
 *
 * The wrapper is the bundle that `deno task compile` turns into the release binary (`deno task
 * bundle`, run with `--no-config`): the closest to what users run that can be built here, since
 * `deno compile` cannot download its runtime on this machine. The source tree (`deno run main.ts`,
 * which also resolves deno.json and its npm imports) is measured too and shown in the details.
 *
 * Run alone: `deno run -A bench/run_wrapper.ts`.
 */
import {
  type BenchResult,
  bundle,
  BUNDLE_FLAGS,
  freePort,
  HELLO,
  MAIN,
  median,
  type Memory,
  memoryOf,
  mib,
  ms,
  timeCommand,
  untilAnswers,
} from "./lib.ts";

const DENO = Deno.execPath();
const SERVER = new URL("../examples/server.ts", import.meta.url).pathname;
const IDLE = new URL("./fixtures/idle.js", import.meta.url).pathname;
const SERVER_ARGS = ["run", "--quiet", "--allow-net", "--allow-env", SERVER];

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  await child.status;
}

/** How long the wrapper runs after its server answered before its memory is read. */
const RSS_SETTLE_MS = 1000;

/** Median memory of an idle Deno process started with `args`, read a second after it is up. */
async function idleMemory(args: string[]): Promise<Memory> {
  const samples: Memory[] = [];
  for (let i = 0; i < 5; i++) {
    const child = new Deno.Command(DENO, { args, stdin: "null", stdout: "piped", stderr: "null" }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, RSS_SETTLE_MS));
    samples.push(memoryOf(child.pid));
    reader.releaseLock();
    await stop(child);
  }
  return medianMemory(samples);
}

function medianMemory(samples: Memory[]): Memory {
  return { rss: median(samples.map((m) => m.rss)), private: median(samples.map((m) => m.private)) };
}

/** Median wall time of a Deno hello-world: the runtime's own start-up on this machine. */
async function helloFloor(rounds: number): Promise<number> {
  const times = [];
  for (let i = 0; i < rounds; i++) times.push(await timeCommand(DENO, ["run", "--quiet", HELLO]));
  return median(times);
}

/** Both benchmarks of `treehouse run`. */
export async function benchRun(rounds = 10): Promise<BenchResult[]> {
  const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-run-" });
  const env = { TREEHOUSE_DB: `${tmp}/registry.db`, NO_COLOR: "1" };
  try {
    const bundled = await bundle(`${tmp}/bundle`);
    const entries = { bundle: [...BUNDLE_FLAGS, bundled], source: [MAIN] };
    const ipOut = await new Deno.Command(DENO, {
      args: ["run", "-A", "--quiet", MAIN, "ip", "--branch", "bench", "--project", tmp],
      env,
      stdout: "piped",
    }).output();
    const ip = new TextDecoder().decode(ipOut.stdout).trim();
    const port = freePort();
    const url = `http://${ip}:${port}/json`;
    const wrapped = async (entry: string[], sampleRss = false) => {
      const start = performance.now();
      const child = new Deno.Command(DENO, {
        args: [
          "run",
          "-A",
          "--quiet",
          ...entry,
          "run",
          "--quiet",
          "--branch",
          "bench",
          "--project",
          tmp,
          "--port",
          String(port),
          "--",
          DENO,
          ...SERVER_ARGS,
        ],
        env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        const elapsed = await untilAnswers(url, start, child);
        if (!sampleRss || Deno.build.os !== "linux") return { elapsed, memory: undefined };
        // Steady state: the announcer (started 250 ms after the server) and the heartbeat timer are running.
        await new Promise((r) => setTimeout(r, RSS_SETTLE_MS));
        return { elapsed, memory: memoryOf(child.pid) };
      } finally {
        await stop(child);
      }
    };
    const bare = async () => {
      const start = performance.now();
      const child = new Deno.Command(DENO, {
        args: SERVER_ARGS,
        env: { HOST: ip, PORT: String(port) },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        return await untilAnswers(url, start, child);
      } finally {
        await stop(child);
      }
    };
    await wrapped(entries.bundle); // warm the module caches
    await wrapped(entries.source);
    await bare();
    const a: number[] = [];
    const s: number[] = [];
    const b: number[] = [];
    const memory: Memory[] = [];
    for (let i = 0; i < rounds; i++) {
      const w = await wrapped(entries.bundle, true);
      a.push(w.elapsed);
      if (w.memory) memory.push(w.memory);
      b.push(await bare());
      s.push((await wrapped(entries.source)).elapsed);
    }
    const t = median(a);
    const f = median(b);
    const budget = 1.2 * f + 50;
    const hello = await helloFloor(rounds);
    const results: BenchResult[] = [{
      name: "`treehouse run -- <server>` until it answers HTTP vs the bare server",
      ratio: t / f,
      goal: "≤ 1.2× + 50 ms",
      detail: `${ms(t)} vs ${ms(f)} (median of ${rounds}); budget ${ms(budget)}: ${
        t <= budget ? "met" : "NOT met"
      }; from the source tree ${ms(median(s))}; a Deno hello-world alone takes ${ms(hello)} here`,
    }];

    if (Deno.build.os === "linux") {
      // The wrapper's memory was read a second after its server answered; the floor's a second after it is up:
      // a plain JavaScript file run like the bundle (the smallest bare Deno process), and `deno eval`, which
      // also maps the TypeScript transpiler, for comparison.
      const idleRun = await idleMemory(["run", "--quiet", "--no-config", IDLE]);
      const idleEval = await idleMemory(["eval", `setInterval(() => {}, 1000); console.log("up")`]);
      const w = medianMemory(memory);
      results.push({
        name: "`treehouse run` wrapper's private memory while its child runs vs a bare idle Deno process",
        ratio: w.private / idleRun.private,
        goal: "≤ 1.2×",
        detail: `${mib(w.private)} vs ${mib(idleRun.private)} private (median); resident ${mib(w.rss)} vs ${
          mib(idleRun.rss)
        } (${(w.rss / idleRun.rss).toFixed(2)}×); an idle \`deno eval\`: ${mib(idleEval.private)} private`,
      });
    }
    return results;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  for (const r of await benchRun()) {
    Deno.stdout.writeSync(
      new TextEncoder().encode(`${r.ratio.toFixed(2)}×  (goal ${r.goal})  ${r.name}: ${r.detail}\n`),
    );
  }
}
