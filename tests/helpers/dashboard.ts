/**
 * Test helpers for `treehouse dashboard`: start it on a free port, read its URL and token; a browser scene
 * with two real `treehouse run`s and the page open.
 */
import assert from "node:assert/strict";
import { type CliOptions, tempDir } from "./cli.ts";
import {
  type Background,
  freePort,
  killAll,
  readPid,
  runArgs,
  SERVER_CMD,
  startCli,
  waitGone,
  waitUntil,
} from "./harness.ts";
import { CHROMIUM, CHROMIUM_FLAGS } from "./chromium.ts";

/** A running dashboard. */
export interface Dashboard {
  cli: Background;
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  host: string;
  /** The token embedded in the page. */
  token: string;
  /** SIGINTs it (as Ctrl-C) and waits; SIGKILL if it does not end. */
  stop(): Promise<number>;
}

/** Starts `treehouse dashboard --listen 127.0.0.1:0` and reads the URL from its first line. */
export async function startDashboard(options: CliOptions): Promise<Dashboard> {
  const cli = startCli(["dashboard", "--listen", "127.0.0.1:0"], options);
  let exited = false;
  cli.status.then(() => (exited = true));
  await waitUntil(() => cli.stdout().includes("\n") || exited, 20_000, "the dashboard's URL");
  const url = cli.stdout().split("\n")[0] ?? "";
  if (!url.startsWith("http://")) {
    throw new Error(`no URL from the dashboard:\n${cli.stdout()}\n${cli.stderr()}`);
  }
  const page = await (await fetch(url)).text();
  const boot = /<script id="boot" type="application\/json">(.*?)<\/script>/s.exec(page)?.[1] ?? "{}";
  const token = String(JSON.parse(boot).token);
  return {
    cli,
    url,
    host: new URL(url).host,
    token,
    async stop() {
      if (!exited) {
        try {
          Deno.kill(cli.pid, "SIGINT");
        } catch { /* gone */ }
      }
      const timer = setTimeout(() => cli.ensureDead(), 10_000);
      try {
        return await cli.status;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs curl with `args` and returns the HTTP status code. */
export async function curlStatus(args: string[]): Promise<number> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return Number(new TextDecoder().decode(out.stdout));
}

export const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
export const POOL = { TREEHOUSE_POOL: "127.0.7.10-127.0.7.99" };
/** The promise: a change shows on the page within 2 s. */
export const LIVE_MS = 2000;

/** Starts `treehouse run` of the test server for `branch`; resolves once it serves. */
async function startRun(
  branch: string,
  project: string,
  db: string,
  dir: string,
  pool: string,
  flags: string[] = [],
) {
  const pidfile = `${dir}/${branch}${flags.join("").replace(/\W/g, "")}.pid`;
  const run = startCli(
    runArgs(
      branch,
      project,
      "--port",
      String(freePort()),
      "--no-mdns",
      ...flags,
      "--",
      ...SERVER_CMD,
      "--pidfile",
      pidfile,
      "--log-requests",
    ),
    { db, env: { TREEHOUSE_POOL: pool } },
  );
  await waitUntil(() => run.stdout().includes("listening on"), 30_000, `${branch} to listen`);
  return { run, server: await readPid(pidfile), pidfile };
}

type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launch>>["newPage"]>>;
type Run = Awaited<ReturnType<typeof startRun>>;

export async function launch(home: string) {
  const { chromium } = await import("playwright-core");
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_FLAGS],
    env: { ...Deno.env.toObject(), HOME: home },
  });
}

/** What a browser test gets: two running branches, the dashboard open in a page. */
export interface Scene {
  page: Page;
  tmp: string;
  db: string;
  project: string;
  one: Run;
  two: Run;
  /** Starts another run (ended with the scene), with extra `run` flags such as `--service api`. */
  start(branch: string, ...flags: string[]): Promise<Run>;
  /** The row of a branch. */
  row(branch: string): ReturnType<Page["locator"]>;
  /** Writes a screenshot and prints where. */
  screenshot(name: string): Promise<void>;
}

/**
 * Two `treehouse run`s, the dashboard and a page on it; everything is ended afterwards. `pool` keeps the
 * servers of each test file on IPs of their own (files run in parallel).
 */
export async function withDashboard(
  pool: string,
  fn: (scene: Scene) => Promise<void>,
): Promise<void> {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const project = `${tmp.path}/app`;
  await Deno.mkdir(project);
  const runs: Run[] = [];
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  let dash: Awaited<ReturnType<typeof startDashboard>> | undefined;
  const start = async (branch: string, ...flags: string[]) => {
    const run = await startRun(branch, project, db, tmp.path, pool, flags);
    runs.push(run);
    return run;
  };
  try {
    const one = await start("dash-one");
    const two = await start("dash-two");
    dash = await startDashboard({ db, env: { TREEHOUSE_POOL: pool } });
    browser = await launch(tmp.path);
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(dash.url);
    await fn({
      page,
      tmp: tmp.path,
      db,
      project,
      one,
      two,
      start,
      row: (branch) => page.locator(`tr:has(th:text-is("${branch}"))`),
      screenshot: async (name) => {
        const out = Deno.env.get("TREEHOUSE_TEST_OUTPUT") ??
          await Deno.makeTempDir({ prefix: "treehouse-dashboard-" });
        await page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
        Deno.stderr.writeSync(new TextEncoder().encode(`  screenshot: ${out}/${name}.png\n`));
      },
    });
    assert.deepEqual(errors, [], "no script errors on the page");
  } finally {
    await browser?.close();
    await dash?.stop();
    for (const { run } of runs) {
      try {
        Deno.kill(run.pid, "SIGTERM");
      } catch { /* ended */ }
    }
    await waitGone(runs.map((r) => r.run.pid), 10_000).catch(() => {});
    killAll(runs.flatMap((r) => [r.run.pid, r.server]));
    for (const { run } of runs) await run.ensureDead();
    await tmp.cleanup();
  }
}
