/**
 * Foundation benchmarks: `treehouse ip` start-up on an allocated branch, and 90 concurrent
 * first-time allocations, each against a floor measured in the same run.
 */
import { type BenchResult, bundle, BUNDLE_FLAGS, HELLO, MAIN, median, ms, timeCommand } from "./lib.ts";

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

/**
 * `treehouse ip` (already allocated) vs a Deno hello-world plus `git rev-parse`, in paired rounds: from the
 * bundle (what the release binary runs; goal ≤ 1.3×) and from the source tree (goal ≤ 1.5×).
 */
export async function benchIp(rounds = 25): Promise<BenchResult[]> {
  const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-" });
  try {
    const repo = `${tmp}/app`;
    await makeRepo(repo);
    const bundled = await bundle(`${tmp}/bundle`);
    const env = { TREEHOUSE_DB: `${tmp}/registry.db`, NO_COLOR: "1" };
    const ip = (entry: string[]) =>
      timeCommand(DENO, ["run", "-A", "--quiet", ...entry, "ip"], { cwd: repo, env });
    const fromBundle = () => ip([...BUNDLE_FLAGS, bundled]);
    const fromSource = () => ip([MAIN]);
    const floor = async () =>
      await timeCommand(DENO, ["run", "--quiet", HELLO], { cwd: repo }) +
      await timeCommand("git", ["rev-parse", "--show-toplevel", "--abbrev-ref", "HEAD"], { cwd: repo });
    await fromSource(); // allocate, and warm the module caches
    await fromBundle();
    await floor();
    const b: number[] = [];
    const s: number[] = [];
    const f: number[] = [];
    for (let i = 0; i < rounds; i++) {
      b.push(await fromBundle());
      f.push(await floor());
      s.push(await fromSource());
    }
    const floorMs = median(f);
    const name = (from: string) =>
      `\`treehouse ip\` (allocated branch) from the ${from} vs Deno hello-world + \`git rev-parse\``;
    return [
      {
        name: name("bundle"),
        ratio: median(b) / floorMs,
        goal: "≤ 1.3×",
        detail: `${ms(median(b))} vs ${ms(floorMs)} (median of ${rounds})`,
      },
      {
        name: name("source tree"),
        ratio: median(s) / floorMs,
        goal: "≤ 1.5×",
        detail: `${ms(median(s))} vs ${ms(floorMs)} (median of ${rounds})`,
      },
    ];
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** 90 concurrent first-time allocations vs 90 concurrent Deno hello-worlds. Goal ≤ 1.5×. */
export async function benchConcurrent(n = 90, rounds = 3): Promise<BenchResult> {
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-" });
    try {
      const env = { TREEHOUSE_DB: `${tmp}/registry.db`, NO_COLOR: "1" };
      let start = performance.now();
      await Promise.all(
        Array.from(
          { length: n },
          (_, i) =>
            timeCommand(DENO, ["run", "-A", "--quiet", MAIN, "ip", `--branch=b${i}`], { cwd: tmp, env }),
        ),
      );
      a.push(performance.now() - start);
      start = performance.now();
      await Promise.all(
        Array.from({ length: n }, () => timeCommand(DENO, ["run", "--quiet", HELLO], { cwd: tmp })),
      );
      b.push(performance.now() - start);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  }
  const t = median(a);
  const f = median(b);
  return {
    name: `${n} concurrent first-time allocations vs ${n} concurrent hello-worlds`,
    ratio: t / f,
    goal: "≤ 1.5×",
    detail: `${ms(t)} vs ${ms(f)} (median of ${rounds})`,
  };
}
