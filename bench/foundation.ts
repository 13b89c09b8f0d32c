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

/**
 * 90 concurrent first-time allocations vs 90 concurrent Deno hello-worlds (goal ≤ 1.5×), from the bundle
 * (what the release binary runs) and from the source tree, in the same rounds.
 */
export async function benchConcurrent(n = 90, rounds = 3): Promise<BenchResult[]> {
  const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-" });
  const times: Record<"bundle" | "source" | "floor", number[]> = { bundle: [], source: [], floor: [] };
  try {
    const bundled = await bundle(`${tmp}/bundle`);
    const burst = async (entry: string[]) => {
      const dir = await Deno.makeTempDir({ dir: tmp });
      const env = { TREEHOUSE_DB: `${dir}/registry.db`, NO_COLOR: "1" };
      const start = performance.now();
      await Promise.all(
        Array.from(
          { length: n },
          (_, i) =>
            timeCommand(DENO, ["run", "-A", "--quiet", ...entry, "ip", `--branch=b${i}`], { cwd: dir, env }),
        ),
      );
      return performance.now() - start;
    };
    for (let round = 0; round < rounds; round++) {
      times.bundle.push(await burst([...BUNDLE_FLAGS, bundled]));
      const start = performance.now();
      await Promise.all(
        Array.from({ length: n }, () => timeCommand(DENO, ["run", "--quiet", HELLO], { cwd: tmp })),
      );
      times.floor.push(performance.now() - start);
      times.source.push(await burst([MAIN]));
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  const f = median(times.floor);
  return (["bundle", "source"] as const).map((from) => ({
    name: `${n} concurrent first-time allocations from the ${
      from === "bundle" ? "bundle" : "source tree"
    } vs ${n} concurrent hello-worlds`,
    ratio: median(times[from]) / f,
    goal: "≤ 1.5×",
    detail: `${ms(median(times[from]))} vs ${ms(f)} (median of ${rounds})`,
  }));
}
