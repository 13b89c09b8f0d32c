/** `treehouse release` never hands out a live IP: it refuses while the server runs, `--force` stops it first. */
import assert from "node:assert/strict";
import { cli, tempDir } from "../helpers/cli.ts";
import {
  freePort,
  isGone,
  killAll,
  readPid,
  registryRow,
  serverRunArgs,
  startCli,
  waitGone,
} from "../helpers/harness.ts";

const POOL = "127.0.9.30-127.0.9.39";

Deno.test("release refuses while the branch's server runs, naming the pid, and --force stops it first", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const pidfile = `${tmp.path}/pid`;
  const port = freePort();
  const env = { TREEHOUSE_POOL: POOL };
  const run = startCli(
    serverRunArgs("s2-live", tmp.path, port, [], ["--pidfile", pidfile]),
    { db, env },
  );
  let child: number | undefined;
  try {
    await run.waitStderr(/ready at/);
    child = await readPid(pidfile);
    const refused = await cli(["release", "s2-live", "--project", tmp.path], { db, env });
    assert.equal(refused.code, 7, refused.stderr);
    assert.match(refused.stderr, new RegExp(`s2-live's server is running \\(pid ${child}\\)`));
    assert.match(refused.stderr, /release s2-live --force/);
    assert.match(
      refused.stderr,
      new RegExp(`hint: Stop it first \\(\`treehouse stop s2-live\`, or kill ${child}\\)`),
    );
    assert.ok(await registryRow(db, "s2-live"), "the allocation stays");
    assert.ok(!isGone(child), "the server still runs");

    const forced = await cli(["release", "s2-live", "--project", tmp.path, "--force"], { db, env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, new RegExp(`Stopped s2-live's server \\(pid ${child}\\)`));
    assert.match(forced.stderr, /Released 127\.0\.9\.30/);
    assert.equal(await run.status, 143, "the wrapper was stopped (SIGTERM), not just its child");
    await waitGone([child]);
    assert.equal(await registryRow(db, "s2-live"), undefined);

    const next = await cli(["ip", "--branch", "s2-next", "--project", tmp.path], { db, env });
    assert.equal(next.stdout.trim(), "127.0.9.30", "the IP is free for the next branch only now");
  } finally {
    await run.ensureDead();
    killAll([child]);
    await tmp.cleanup();
  }
});

Deno.test("release of a stopped branch needs no --force", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const env = { TREEHOUSE_POOL: POOL };
  try {
    assert.equal((await cli(["ip", "--branch", "s2-idle", "--project", tmp.path], { db, env })).code, 0);
    const r = await cli(["release", "s2-idle", "--project", tmp.path, "--json"], { db, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).stopped_pid, null);
  } finally {
    await tmp.cleanup();
  }
});
