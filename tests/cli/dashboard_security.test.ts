/**
 * `treehouse dashboard` refuses what a hostile page or a rebound name could send: a foreign Host,
 * a foreign Origin, a missing or wrong token (each 403, nothing changes), and binds loopback only.
 */
import assert from "node:assert/strict";
import { cli, tempDir } from "../helpers/cli.ts";
import { curlStatus, startDashboard } from "../helpers/dashboard.ts";

const POOL = { TREEHOUSE_POOL: "127.0.7.10-127.0.7.99" };

Deno.test("the dashboard answers 403 to a foreign Host, a foreign Origin and a missing token, and changes nothing", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const project = `${tmp.path}/app`;
  await Deno.mkdir(project);
  const allocated = await cli(["allocate", "--branch", "dash-sec", "--project", project], { db, env: POOL });
  assert.equal(allocated.code, 0, allocated.stderr);
  const dash = await startDashboard({ db, env: POOL });
  try {
    const body = JSON.stringify({ project, branch: "dash-sec" });
    const post = ["-X", "POST", "-H", "content-type: application/json", "--data", body];
    const release = `${dash.url}api/release`;
    const token = ["-H", `x-treehouse-token: ${dash.token}`];
    assert.equal(await curlStatus([dash.url]), 200);
    assert.equal(await curlStatus(["-H", "Host: evil.example", dash.url]), 403, "foreign Host (page)");
    assert.equal(await curlStatus(["-H", `Host: evil.example:${new URL(dash.url).port}`, dash.url]), 403);
    assert.equal(await curlStatus([...post, ...token, "-H", "Host: evil.example", release]), 403);
    assert.equal(await curlStatus([...post, ...token, "-H", "Origin: http://evil.example", release]), 403);
    assert.equal(await curlStatus([...post, ...token, "-H", "Sec-Fetch-Site: cross-site", release]), 403);
    assert.equal(await curlStatus([...post, release]), 403, "no token");
    assert.equal(await curlStatus([...post, "-H", "x-treehouse-token: wrong", release]), 403, "wrong token");
    assert.equal(await curlStatus([`${dash.url}events`]), 403, "event stream without the token");
    assert.equal(await curlStatus([`${dash.url}logs?project=x&branch=y`]), 403, "logs without the token");
    const info = await cli(["info", "dash-sec", "--project", project], { db, env: POOL });
    assert.equal(info.code, 0, "the allocation is still there");
    // The same request with the token and the page's own Origin goes through: the 403s were the guard.
    const origin = ["-H", `Origin: ${dash.url.replace(/\/$/, "")}`];
    assert.equal(await curlStatus([...post, ...token, ...origin, release]), 200);
    assert.equal((await cli(["info", "dash-sec", "--project", project], { db, env: POOL })).code, 3);
  } finally {
    await dash.stop();
    await tmp.cleanup();
  }
});

Deno.test("the page carries a strict Content-Security-Policy and is never framed or cached", async () => {
  const tmp = await tempDir();
  const dash = await startDashboard({ db: `${tmp.path}/r.db`, env: POOL });
  try {
    const response = await fetch(dash.url);
    const csp = response.headers.get("content-security-policy") ?? "";
    await response.body?.cancel();
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-[0-9a-f]+'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    assert.equal(response.headers.get("cache-control"), "no-store");
  } finally {
    await dash.stop();
    await tmp.cleanup();
  }
});

Deno.test("dashboard --listen refuses a non-loopback address with a usage error", async () => {
  const tmp = await tempDir();
  try {
    for (const address of ["0.0.0.0:0", "[::]:0", "192.0.2.1:4900"]) {
      const result = await cli(["dashboard", "--listen", address], { db: `${tmp.path}/r.db` });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /loopback only/);
      assert.equal(result.stdout, "");
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("Ctrl-C stops the dashboard: exit 0, the port is closed and no registry was created", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const dash = await startDashboard({ db, env: POOL });
  const events = await fetch(`${dash.url}events?token=${dash.token}`); // an open stream must not hold it up
  assert.equal(events.status, 200);
  try {
    assert.equal(await dash.stop(), 0);
    await events.body?.cancel().catch(() => {});
    assert.equal(await curlStatus([dash.url]), 0, "nothing listens any more");
    assert.equal(await Deno.stat(db).then(() => true, () => false), false);
  } finally {
    await dash.stop();
    await tmp.cleanup();
  }
});
