/**
 * The dashboard's actions in a real browser on real `treehouse run`s (through the control services of
 * issue 15): the logs panel follows and shows HTML as text, stop ends the run and its processes, restart
 * gives a new server, release asks first.
 */
import assert from "node:assert/strict";
import { cli } from "../helpers/cli.ts";
import { hasChromium, LIVE_MS, POOL, withDashboard } from "../helpers/dashboard.ts";
import { isGone, readPid, waitGone, waitUntil } from "../helpers/harness.ts";

/** This file's servers' IPs (the other browser test file has its own). */
const SERVERS = "127.0.7.50-127.0.7.89";

Deno.test({
  name: "the dashboard's logs panel follows a run and shows a printed HTML line as text",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDashboard(SERVERS, async ({ page, row }) => {
      await row("dash-one").waitFor({ timeout: 10_000 });
      await page.getByRole("button", { name: "Logs dash-one" }).click();
      await page.locator("#logs").waitFor({ state: "visible" });
      await page.locator("#log-lines", { hasText: "listening on" }).waitFor({ timeout: 10_000 });
      const ip = await row("dash-one").locator('td[data-label="IP"]').innerText();
      const port = await row("dash-one").locator('td[data-label="Ports"]').innerText();
      const html = "<b>bold</b><script>window.pwned=1</script>";
      await (await fetch(`http://${ip}:${port}/${encodeURIComponent(html)}`)).body?.cancel();
      await page.locator("#log-lines", { hasText: `request /${html}` }).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator("#log-lines b, #log-lines script").count(), 0, "HTML stays text");
      assert.equal(await page.evaluate("typeof window.pwned"), "undefined");
    }),
});

Deno.test({
  name: "stop on the dashboard ends the run's processes and its row says stopped; release asks first",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDashboard(SERVERS, async ({ page, row, one, two, db, project, screenshot }) => {
      await row("dash-two").waitFor({ timeout: 10_000 });
      await page.getByRole("button", { name: "Stop dash-two" }).click();
      await waitGone([two.run.pid, two.server], 15_000);
      await row("dash-two").locator(".state", { hasText: "stopped" }).waitFor({ timeout: LIVE_MS });
      assert.ok(!isGone(one.server), "the other branch still runs");
      await screenshot("dashboard-stopped");

      page.once("dialog", (d) => d.dismiss());
      await page.getByRole("button", { name: "Release dash-two" }).click();
      assert.equal((await cli(["info", "dash-two", "--project", project], { db, env: POOL })).code, 0);
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: "Release dash-two" }).click();
      await row("dash-two").waitFor({ state: "detached", timeout: LIVE_MS * 2 });
      assert.equal((await cli(["info", "dash-two", "--project", project], { db, env: POOL })).code, 3);
    }),
});

Deno.test({
  name: "restart on the dashboard starts a new server for the branch",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDashboard(SERVERS, async ({ page, row, one }) => {
      await row("dash-one").waitFor({ timeout: 10_000 });
      await page.getByRole("button", { name: "Restart dash-one" }).click();
      let next = one.server;
      await waitUntil(
        async () => {
          next = await readPid(one.pidfile).catch(() => one.server);
          return next !== one.server;
        },
        20_000,
        "a new server pid",
      );
      await waitGone([one.server]);
      assert.ok(!isGone(next), "the new server runs");
      await row("dash-one").locator(".state", { hasText: /ready|running/ }).waitFor({ timeout: 10_000 });
    }),
});

Deno.test({
  name: "a branch with two services gets actions per service: stopping api leaves the other running",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDashboard(SERVERS, async ({ page, row, one, start }) => {
      const api = await start("dash-one", "--service", "api");
      await page.getByRole("button", { name: "Stop dash-one api" }).waitFor({ timeout: LIVE_MS * 2 });
      assert.match(await row("dash-one").innerText(), /\(api \w+, default \w+\)/);
      await page.getByRole("button", { name: "Stop dash-one api" }).click();
      await waitGone([api.run.pid, api.server], 15_000);
      await page.getByRole("button", { name: "Stop dash-one", exact: true }).waitFor({ timeout: LIVE_MS });
      assert.ok(!isGone(one.server), "the first server still runs");
    }),
});
