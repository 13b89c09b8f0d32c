/**
 * `treehouse dashboard` in a real browser (headless Chromium through playwright-core) with real
 * `treehouse run` processes of the test server: both branches listed with working links, a new branch
 * appears without a reload. A screenshot goes to TREEHOUSE_TEST_OUTPUT (else a temp directory).
 */
import assert from "node:assert/strict";
import { hasChromium, LIVE_MS, withDashboard } from "../helpers/dashboard.ts";

Deno.test({
  name: "the dashboard lists both running branches with working links and shows a third without a reload",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDashboard(async ({ page, row, start, screenshot }) => {
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
