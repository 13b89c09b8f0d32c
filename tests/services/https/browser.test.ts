/**
 * `run --https` in a real browser: Chromium (playwright-core, /usr/bin/chromium) with a HOME whose
 * ~/.pki/nssdb trusts the local CA through `treehouse setup --https`, names resolved by avahi +
 * nss-mdns. Two branches on the same port, each its own page at https://<branch>.local/.
 */
import assert from "node:assert/strict";
import { cli, ROOT, skipped, tempDir } from "../../helpers/cli.ts";
import { bannerRow, freePort, startCli, waitUntil } from "../../helpers/harness.ts";
import { CHROMIUM, CHROMIUM_FLAGS } from "../../helpers/chromium.ts";

const PAGE = `${ROOT}/tests/fixtures/tls/page_server.ts`;
const FAKEBIN = `${ROOT}/tests/fixtures/tls/fakebin`;
const POOL = "127.0.3.60-127.0.3.69";

async function succeeds(cmd: string, ...args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

const missing = !(await succeeds(CHROMIUM, "--version"))
  ? "chromium (/usr/bin/chromium)"
  : !(await succeeds("avahi-daemon", "--check"))
  ? "a running avahi-daemon"
  : !(await succeeds("sh", "-c", "command -v certutil"))
  ? "certutil (libnss3-tools)"
  : undefined;
if (missing) skipped(`the browser tests of run --https need ${missing} (see ENVIRONMENT.md)`);

Deno.test({
  name: "two branches on one port each serve their own trusted https page with wss, and http redirects",
  ignore: missing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await tempDir();
    const home = `${tmp.path}/home`;
    await Deno.mkdir(home);
    const db = `${tmp.path}/data/registry.db`;
    const env = {
      HOME: home,
      PATH: `${FAKEBIN}:${Deno.env.get("PATH")}`,
      TREEHOUSE_ROOT: `${tmp.path}/root`,
      TREEHOUSE_POOL: POOL,
      TREEHOUSE_MDNS: "lan",
      FAKE_LOG: `${tmp.path}/log`,
    };
    const trusted = await cli(["setup", "--https"], { db, env });
    assert.equal(trusted.code, 0, trusted.stderr);
    const port = freePort();
    const branches = ["tls-br-a", "tls-br-b"];
    const runs = branches.map((branch) =>
      startCli([
        "run",
        "--branch",
        branch,
        "--project",
        tmp.path,
        "--port",
        String(port),
        "--https",
        "--ready",
        String(port),
        "--",
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        PAGE,
      ], { db, env })
    );
    const { chromium } = await import("playwright-core");
    let browser;
    try {
      const urls: string[] = [];
      for (const [i, run] of runs.entries()) {
        const stderr = await run.waitStderr(/ready at/);
        urls.push(bannerRow(stderr, "HTTPS"));
        const host = `${branches[i]}.local`;
        await waitUntil(() => succeeds("getent", "hosts", host), 20_000, `${host} to resolve`);
      }
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [...CHROMIUM_FLAGS],
        env: { ...Deno.env.toObject(), HOME: home },
      });
      const context = await browser.newContext();
      for (const [i, url] of urls.entries()) {
        const page = await context.newPage();
        const response = await page.goto(url);
        assert.equal(response?.status(), 200);
        assert.equal(await page.textContent("#branch"), branches[i]);
        assert.equal(await page.evaluate("window.isSecureContext"), true);
        const echo = await page.evaluate(() =>
          new Promise<string>((resolve, reject) => {
            const ws = new WebSocket(`wss://${location.host}/ws`);
            ws.onopen = () => ws.send("ping");
            ws.onmessage = (e) => resolve(String(e.data));
            ws.onerror = () => reject(new Error("wss failed"));
          })
        );
        assert.equal(echo, `${branches[i]} echoes ping`);
        const plain = new URL(url);
        plain.protocol = "http:";
        plain.port = "";
        const redirected = await page.goto(plain.href);
        assert.equal(redirected?.status(), 200);
        assert.equal(page.url(), url);
        await page.close();
      }
    } finally {
      await browser?.close();
      for (const run of runs) {
        try {
          Deno.kill(run.pid, "SIGTERM");
        } catch { /* gone */ }
        await run.status;
      }
      await tmp.cleanup();
    }
  },
});
