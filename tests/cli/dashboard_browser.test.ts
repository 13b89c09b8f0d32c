/**
 * `treehouse dashboard` in a real browser (headless Chromium through playwright-core) with real
 * `treehouse run` processes of the test server: both branches listed with working links, a new branch
 * appears without a reload; the empty state; a narrow window in dark mode. Screenshots go to
 * TREEHOUSE_TEST_OUTPUT (else a temp directory).
 */
import assert from "node:assert/strict";
import { cli, tempDir } from "../helpers/cli.ts";
import { hasChromium, launch, LIVE_MS, POOL, startDashboard, withDashboard } from "../helpers/dashboard.ts";

/** This file's servers' IPs (the other browser test file has its own). */
const SERVERS = "127.0.7.10-127.0.7.49";

Deno.test({
  name: "the dashboard lists both running branches with working links and shows a third without a reload",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDashboard(SERVERS, async ({ page, row, start, screenshot }) => {
      await page.evaluate("window.marker = 42");
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
          page.context().waitForEvent("page"),
          row(branch).locator(`td.links a[href="${byIp}"]`).click(),
        ]);
        await tab.waitForLoadState();
        assert.match(
          await tab.content(),
          new RegExp(`"branch":"${branch}"`),
          "the link reaches the branch's server",
        );
        await tab.close();
      }
      await start("dash-three");
      await row("dash-three").waitFor({ timeout: LIVE_MS });
      assert.equal(await page.evaluate("window.marker"), 42, "the page was not reloaded");
      await screenshot("dashboard");
    }),
});

Deno.test({
  name: "with nothing registered the page says how to start a branch",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await tempDir();
    const dash = await startDashboard({ db: `${tmp.path}/r.db`, env: POOL });
    const browser = await launch(tmp.path);
    try {
      const page = await browser.newPage();
      await page.goto(dash.url);
      const text = await page.locator("main").innerText();
      assert.match(text, /No branches yet/);
      assert.match(text, /treehouse run -- /);
    } finally {
      await browser.close();
      await dash.stop();
      await tmp.cleanup();
    }
  },
});

Deno.test({
  name: "on a narrow window in dark mode the page fits its width and follows the colour scheme",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await tempDir();
    const db = `${tmp.path}/r.db`;
    const project = `${tmp.path}/app`;
    await Deno.mkdir(project);
    for (const branch of ["dash-narrow/with-a-rather-long-branch-name", "dash-n2"]) {
      assert.equal(
        (await cli(["allocate", "--branch", branch, "--project", project], { db, env: POOL })).code,
        0,
      );
    }
    const dash = await startDashboard({ db, env: POOL });
    const browser = await launch(tmp.path);
    try {
      const background: Record<string, string> = {};
      for (const colorScheme of ["light", "dark"] as const) {
        const page = await browser.newPage({ viewport: { width: 360, height: 740 }, colorScheme });
        await page.goto(dash.url);
        await page.getByRole("button", { name: "Release dash-n2" }).waitFor();
        const fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth");
        assert.equal(fits, true, `no horizontal scrolling (${colorScheme})`);
        background[colorScheme] = String(
          await page.evaluate("getComputedStyle(document.body).backgroundColor"),
        );
        if (colorScheme === "dark") {
          const out = Deno.env.get("TREEHOUSE_TEST_OUTPUT") ??
            await Deno.makeTempDir({ prefix: "treehouse-dashboard-" });
          await page.screenshot({ path: `${out}/dashboard-narrow-dark.png`, fullPage: true });
          Deno.stderr.writeSync(new TextEncoder().encode(`  screenshot: ${out}/dashboard-narrow-dark.png\n`));
        }
        await page.close();
      }
      assert.notEqual(background.light, background.dark);
    } finally {
      await browser.close();
      await dash.stop();
      await tmp.cleanup();
    }
  },
});
