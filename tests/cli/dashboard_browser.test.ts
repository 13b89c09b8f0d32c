/**
 * `treehouse dashboard` in a real browser (headless Chromium through playwright-core) with real
 * `treehouse run` processes of the test server: both branches listed with working links, stop from the
 * page ends the run, a new branch appears without a reload, the logs panel follows and shows HTML as
 * text, release asks first. A screenshot goes to TREEHOUSE_TEST_OUTPUT (else a temp directory).
 */
import assert from "node:assert/strict";
import { cli, tempDir } from "../helpers/cli.ts";
import { startDashboard } from "../helpers/dashboard.ts";
import {
  type Background,
  freePort,
  isGone,
  killAll,
  readPid,
  runArgs,
  SERVER_CMD,
  startCli,
  waitGone,
  waitUntil,
} from "../helpers/harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
const POOL = { TREEHOUSE_POOL: "127.0.7.10-127.0.7.99" };
/** The promise: a change shows on the page within 2 s. */
const LIVE_MS = 2000;

/** Starts `treehouse run` of the test server for `branch`; resolves once it serves. */
async function startRun(branch: string, project: string, db: string, dir: string) {
  const pidfile = `${dir}/${branch}.pid`;
  const run = startCli(
    runArgs(
      branch,
      project,
      "--port",
      String(freePort()),
      "--no-mdns",
      "--",
      ...SERVER_CMD,
      "--pidfile",
      pidfile,
      "--log-requests",
    ),
    { db, env: POOL },
  );
  await waitUntil(() => run.stdout().includes("listening on"), 30_000, `${branch} to listen`);
  return { run, server: await readPid(pidfile), pidfile };
}

Deno.test({
  name:
    "the dashboard lists running branches with working links, stops one, shows a new one and follows logs",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await tempDir();
    const db = `${tmp.path}/r.db`;
    const project = `${tmp.path}/app`;
    await Deno.mkdir(project);
    const runs: Background[] = [];
    const servers: number[] = [];
    const { chromium } = await import("playwright-core");
    let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
    let dash: Awaited<ReturnType<typeof startDashboard>> | undefined;
    try {
      const one = await startRun("dash-one", project, db, tmp.path);
      const two = await startRun("dash-two", project, db, tmp.path);
      runs.push(one.run, two.run);
      servers.push(one.server, two.server);
      dash = await startDashboard({ db, env: POOL });
      browser = await chromium.launch({
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
        env: { ...Deno.env.toObject(), HOME: tmp.path },
      });
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(dash.url);
      await page.evaluate("window.marker = 42");
      const row = (branch: string) => page.locator(`tr:has(th:text-is("${branch}"))`);

      // Both branches, each with its state and links; the IP link answers with that branch's server.
      for (const branch of ["dash-one", "dash-two"]) {
        await row(branch).waitFor({ timeout: 10_000 });
        assert.match(await row(branch).locator(".state").innerText(), /running|ready|starting/);
        const hrefs = await row(branch).locator("td.links a").evaluateAll((as) =>
          as.map((a) => (a as unknown as { href: string }).href)
        );
        assert.ok(hrefs.some((h) => h.startsWith(`http://${branch}.local:`)), hrefs.join(" "));
        const byIp = hrefs.find((h) => /^http:\/\/127\.0\.7\.\d+:\d+\/$/.test(h));
        assert.ok(byIp, hrefs.join(" "));
        const [tab] = await Promise.all([
          context.waitForEvent("page"),
          row(branch).locator(`td.links a[href="${byIp}"]`).click(),
        ]);
        await tab.waitForLoadState();
        assert.match(await tab.content(), new RegExp(`"branch":"${branch}"`));
        await tab.close();
      }

      // The logs panel follows: a line the server prints after the panel opened shows, as text.
      await page.getByRole("button", { name: "Logs dash-one" }).click();
      await page.locator("#logs").waitFor({ state: "visible" });
      const ip = await row("dash-one").locator('td[data-label="IP"]').innerText();
      const port = await row("dash-one").locator('td[data-label="Ports"]').innerText();
      const html = "<b>bold</b><script>window.pwned=1</script>";
      await (await fetch(`http://${ip}:${port}/${encodeURIComponent(html)}`)).body?.cancel();
      await page.locator("#log-lines", { hasText: `request /${html}` }).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator("#log-lines b, #log-lines script").count(), 0, "HTML stays text");
      assert.equal(await page.evaluate("typeof window.pwned"), "undefined");

      // Stop from the page: the run's processes end and the row says stopped.
      await page.getByRole("button", { name: "Stop dash-two" }).click();
      await waitGone([two.run.pid, two.server], 15_000);
      await row("dash-two").locator(".state", { hasText: "stopped" }).waitFor({ timeout: LIVE_MS });
      assert.equal(await two.run.status, 143, "the wrapper ended as on SIGTERM");
      assert.ok(!isGone(one.server), "the other branch still runs");

      // A third branch appears without a reload.
      const three = await startRun("dash-three", project, db, tmp.path);
      runs.push(three.run);
      servers.push(three.server);
      await row("dash-three").waitFor({ timeout: LIVE_MS });
      assert.equal(await page.evaluate("window.marker"), 42, "the page was not reloaded");

      // Release asks first: dismissed, nothing changes; accepted, the branch goes.
      page.once("dialog", (d) => d.dismiss());
      await page.getByRole("button", { name: "Release dash-two" }).click();
      assert.equal((await cli(["info", "dash-two", "--project", project], { db, env: POOL })).code, 0);
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: "Release dash-two" }).click();
      await row("dash-two").waitFor({ state: "detached", timeout: LIVE_MS * 2 });
      assert.equal((await cli(["info", "dash-two", "--project", project], { db, env: POOL })).code, 3);

      const out = Deno.env.get("TREEHOUSE_TEST_OUTPUT") ?? tmp.path;
      const shot = `${
        out === tmp.path ? await Deno.makeTempDir({ prefix: "treehouse-dashboard-" }) : out
      }/dashboard.png`;
      await page.screenshot({ path: shot, fullPage: true });
      Deno.stderr.writeSync(new TextEncoder().encode(`  screenshot: ${shot}\n`));
      assert.deepEqual(errors, [], "no script errors on the page");
    } finally {
      await browser?.close();
      await dash?.stop();
      for (const run of runs) {
        try {
          Deno.kill(run.pid, "SIGTERM");
        } catch { /* ended */ }
      }
      await waitGone(runs.map((r) => r.pid), 10_000).catch(() => {});
      killAll([...runs.map((r) => r.pid), ...servers]);
      for (const run of runs) await run.ensureDead();
      await tmp.cleanup();
    }
  },
});
