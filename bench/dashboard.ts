/**
 * The dashboard (issue 17):
 * - the page's first meaningful paint with 100 branches registered vs with 1 (goal ≤ 1.5×): the rows
 *   paint with the first frame (the snapshot rides in the page), so first-contentful-paint is when they
 *   show; headless Chromium, median of interleaved loads;
 * - the dashboard's resident memory while idle (run from the bundle, as the binary is, a few seconds
 *   after serving the page once) vs an idle Deno HTTP server that served one page too (goal ≤ 1.3×).
 */
import { getOrAllocate } from "../src/registry/allocations.ts";
import { Registry } from "../src/registry/registry.ts";
import { parsePool } from "../src/core/pool.ts";
import { type BenchResult, bundle, BUNDLE_FLAGS, MAIN, median, memoryOf, mib, ms } from "./lib.ts";

const DENO = Deno.execPath();
const CHROMIUM = "/usr/bin/chromium";
const LOADS = 21;
/** How long a server idles after its page was served before its memory is read. */
const SETTLE_MS = 3000;
const IDLE = new URL("./fixtures/http-idle.js", import.meta.url).pathname;

const rssKiB = (pid: number) => memoryOf(pid).rss;

/** A registry at `path` with `n` allocations over a few projects. */
function fill(path: string, n: number): void {
  const registry = Registry.open(path);
  try {
    const pool = parsePool("127.1.0.1-127.1.0.250");
    for (let i = 0; i < n; i++) {
      getOrAllocate(registry, {
        project_path: `/src/project-${i % 5}`,
        branch: `feature/branch-${i}`,
        app: `project-${i % 5}`,
        pool,
        now: Date.now(),
        reclaimAfterMs: 7 * 86_400_000,
        isAlive: () => false,
      });
    }
  } finally {
    registry.close();
  }
}

/** Starts a server process that prints its URL first; returns it with the URL. */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(DENO, { args, env, stdin: "null", stdout: "piped", stderr: "null" }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${args.join(" ")} exited before printing its URL`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return { child, url: text.split("\n")[0] as string };
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGINT");
  } catch { /* gone */ }
  await child.status;
}

/** Runs the dashboard benchmarks (skipped when Chromium is missing). */
export async function benchDashboard(): Promise<BenchResult[]> {
  if (!(await Deno.stat(CHROMIUM).then((s) => s.isFile, () => false))) return [];
  const dir = await Deno.makeTempDir({ prefix: "treehouse-bench-dash-" });
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    env: { ...Deno.env.toObject(), HOME: dir },
  });
  const servers: Deno.ChildProcess[] = [];
  try {
    const dash = async (n: number, entry = [MAIN]) => {
      const db = `${dir}/r${n}.db`;
      if (!(await Deno.stat(db).then(() => true, () => false))) fill(db, n);
      const s = await serve(["run", "-A", "--quiet", ...entry, "dashboard", "--listen", "127.0.0.1:0"], {
        TREEHOUSE_DB: db,
        NO_COLOR: "1",
        PATH: Deno.env.get("PATH") ?? "",
        HOME: dir,
      });
      servers.push(s.child);
      return s;
    };
    const one = await dash(1);
    const hundred = await dash(100);
    const paint = async (url: string, rows: number) => {
      const page = await browser.newPage();
      await page.goto(url);
      await page.locator("tbody tr").nth(rows - 1).waitFor(); // every row arrives (after the first screenful)
      const fcp = await page.evaluate(`new Promise((resolve) => new PerformanceObserver((list) => {
        const entry = list.getEntries().find((e) => e.name === "first-contentful-paint");
        if (entry) resolve(entry.startTime);
      }).observe({ type: "paint", buffered: true }))`) as number;
      await page.close();
      return fcp;
    };
    await paint(one.url, 1); // warm both (module loading, first registry read)
    await paint(hundred.url, 100);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      a.push(await paint(one.url, 1));
      b.push(await paint(hundred.url, 100));
    }
    const fmp1 = median(a);
    const fmp100 = median(b);

    // Memory: fresh 1-branch dashboards from the bundle, idle after serving their page once, vs plain
    // servers. The bundle runs once first: later runs of the same file use Deno's code cache, as users' do.
    const entry = [...BUNDLE_FLAGS, await bundle(`${dir}/bundle`)];
    await stop((await dash(1, entry)).child);
    const dashRss: number[] = [];
    const floorRss: number[] = [];
    for (let i = 0; i < 3; i++) {
      const idle = await dash(1, entry);
      const floor = await serve(["run", "-A", "--quiet", ...BUNDLE_FLAGS, IDLE]);
      servers.push(floor.child);
      await (await fetch(idle.url)).text();
      await (await fetch(floor.url)).text();
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      dashRss.push(rssKiB(idle.child.pid));
      floorRss.push(rssKiB(floor.child.pid));
      await stop(idle.child);
      await stop(floor.child);
    }
    return [
      {
        name: "dashboard's first meaningful paint with 100 branches vs with 1",
        ratio: fmp100 / fmp1,
        goal: "≤ 1.5×",
        detail: `${ms(fmp100)} vs ${ms(fmp1)} (first-contentful-paint, median of ${LOADS})`,
      },
      {
        name: "`treehouse dashboard`'s resident memory while idle vs an idle Deno HTTP server",
        ratio: median(dashRss) / median(floorRss),
        goal: "≤ 1.3×",
        detail: `${mib(median(dashRss))} vs ${mib(median(floorRss))} (median of 3, ${
          SETTLE_MS / 1000
        } s after one page load)`,
      },
    ];
  } finally {
    await browser.close();
    for (const child of servers) await stop(child);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
