/** `treehouse dashboard` as a command: --json-url, --open through the platform's opener, a taken address. */
import assert from "node:assert/strict";
import { cli, tempDir } from "../helpers/cli.ts";
import { startDashboard } from "../helpers/dashboard.ts";
import { startCli, waitUntil } from "../helpers/harness.ts";

const POOL = { TREEHOUSE_POOL: "127.0.7.10-127.0.7.99" };

Deno.test("dashboard --json-url prints the URL and pid as JSON on the first line", async () => {
  const tmp = await tempDir();
  const run = startCli(["dashboard", "--listen", "127.0.0.1:0", "--json-url"], {
    db: `${tmp.path}/r.db`,
    env: POOL,
  });
  try {
    await waitUntil(() => run.stdout().includes("\n"), 20_000, "the first line");
    const first = JSON.parse(run.stdout().split("\n")[0] as string);
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(typeof first.pid, "number");
    assert.equal(await fetch(first.url).then(async (r) => (await r.body?.cancel(), r.status)), 200);
  } finally {
    try {
      Deno.kill(run.pid, "SIGINT");
    } catch { /* ended */ }
    assert.equal(await run.status, 0);
    await tmp.cleanup();
  }
});

Deno.test("dashboard --open runs xdg-open with the page's URL", async () => {
  const tmp = await tempDir();
  const bin = `${tmp.path}/bin`;
  await Deno.mkdir(bin);
  await Deno.writeTextFile(
    `${bin}/xdg-open`,
    `#!/bin/sh\necho "$@" > "${tmp.path}/opening" && mv "${tmp.path}/opening" "${tmp.path}/opened"\n`,
    {
      mode: 0o755,
    },
  );
  const env = { ...POOL, PATH: `${bin}:${Deno.env.get("PATH")}`, TREEHOUSE_PLATFORM: "linux" };
  const run = startCli(["dashboard", "--listen", "127.0.0.1:0", "--open"], { db: `${tmp.path}/r.db`, env });
  try {
    await waitUntil(() => run.stdout().includes("\n"), 20_000, "the URL");
    const url = run.stdout().split("\n")[0] as string;
    await waitUntil(() => Deno.stat(`${tmp.path}/opened`).then(() => true, () => false), 10_000, "xdg-open");
    assert.equal((await Deno.readTextFile(`${tmp.path}/opened`)).trim(), url);
  } finally {
    try {
      Deno.kill(run.pid, "SIGINT");
    } catch { /* ended */ }
    await run.status;
    await tmp.cleanup();
  }
});

Deno.test("a second dashboard on a taken address fails with exit 7 and a hint", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const first = await startDashboard({ db, env: POOL });
  try {
    const second = await cli(["dashboard", "--listen", first.host], { db, env: POOL });
    assert.equal(second.code, 7, second.stderr);
    assert.match(second.stderr, /is in use/);
    assert.match(second.stderr, /--listen 127\.0\.0\.1:0/);
  } finally {
    await first.stop();
    await tmp.cleanup();
  }
});

Deno.test("dashboard refuses a corrupt registry with exit 6 and a hint, before it listens", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/r.db`;
    await Deno.writeTextFile(db, "not a database at all\n");
    const r = await cli(["dashboard", "--listen", "127.0.0.1:0"], { db, env: POOL });
    assert.equal(r.code, 6, r.stderr);
    assert.equal(r.stdout, "", "no URL: nothing listens");
    assert.match(r.stderr, /^treehouse: .*r\.db is not a treehouse registry/);
    assert.match(r.stderr, /^hint: /m);
    assert.doesNotMatch(r.stderr, /RegistryError|\n\s+at /);
    assert.equal(await Deno.readTextFile(db), "not a database at all\n", "left untouched");
  } finally {
    await tmp.cleanup();
  }
});
