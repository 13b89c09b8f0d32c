/** `treehouse run` supervision: signal forwarding, kill timeout, whole-tree clean-up, watchdog, restarts, ready. */
import assert from "node:assert/strict";
import { tempDir } from "../../helpers/cli.ts";
import {
  freePort,
  getJson,
  isGone,
  killAll,
  readPid,
  registryRow,
  runArgs,
  SERVER_CMD,
  serverRunArgs,
  startCli,
  waitGone,
} from "../../helpers/harness.ts";

for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
  Deno.test(`run forwards ${signal} to the command and exits with its code`, async () => {
    const tmp = await tempDir();
    const db = `${tmp.path}/r.db`;
    const seen = `${tmp.path}/signals`;
    const pidfile = `${tmp.path}/pid`;
    const port = freePort();
    const run = startCli(
      serverRunArgs("sig", tmp.path, port, [], ["--on-signal", seen, "--pidfile", pidfile]),
      { db },
    );
    let child: number | undefined;
    try {
      await run.waitStderr(/ready at/);
      child = await readPid(pidfile);
      Deno.kill(run.pid, signal);
      const expected = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 }[signal];
      assert.equal(await run.status, expected);
      assert.equal(Deno.readTextFileSync(seen), `${signal}\n`, "the command got the signal exactly once");
      await waitGone([child]);
    } finally {
      await run.ensureDead();
      killAll([child]);
      await tmp.cleanup();
    }
  });
}

Deno.test("run kills a command that ignores SIGTERM after --kill-timeout, and its grandchildren too", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const pidfile = `${tmp.path}/pid`;
  const grandfile = `${tmp.path}/grandchild`;
  const port = freePort();
  const run = startCli(
    serverRunArgs("stubborn", tmp.path, port, ["--kill-timeout", "1"], [
      "--ignore-term",
      "--pidfile",
      pidfile,
      "--grandchild",
      grandfile,
    ]),
    { db },
  );
  let child: number | undefined;
  let grandchild: number | undefined;
  try {
    await run.waitStderr(/ready at/);
    child = await readPid(pidfile);
    grandchild = await readPid(grandfile);
    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 137, "SIGKILL after the timeout: 128+9");
    assert.match(run.stderr(), /ignoring SIGTERM/);
    await waitGone([child, grandchild]);
    assert.equal((await registryRow(db, "stubborn"))?.pid, null);
  } finally {
    await run.ensureDead();
    killAll([child, grandchild]);
    await tmp.cleanup();
  }
});

Deno.test("run leaves no grandchild behind when the command exits by itself", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const grandfile = `${tmp.path}/grandchild`;
  const run = startCli([
    ...runArgs("leaky", tmp.path),
    "--no-mdns",
    "--quiet",
    "--",
    ...SERVER_CMD,
    "--grandchild",
    grandfile,
    "--exit",
    "0",
  ], { db });
  let grandchild: number | undefined;
  try {
    assert.equal(await run.status, 0);
    grandchild = await readPid(grandfile);
    await waitGone([grandchild]);
  } finally {
    await run.ensureDead();
    killAll([grandchild]);
    await tmp.cleanup();
  }
});

Deno.test("a SIGKILLed wrapper's watchdog ends the command and its grandchildren within seconds", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const pidfile = `${tmp.path}/pid`;
  const grandfile = `${tmp.path}/grandchild`;
  const port = freePort();
  const run = startCli(
    serverRunArgs("orphan", tmp.path, port, [], ["--pidfile", pidfile, "--grandchild", grandfile]),
    { db },
  );
  let child: number | undefined;
  let grandchild: number | undefined;
  try {
    await run.waitStderr(/ready at/);
    child = await readPid(pidfile);
    grandchild = await readPid(grandfile);
    Deno.kill(run.pid, "SIGKILL");
    assert.equal(await run.status, 137);
    await waitGone([child, grandchild], 10_000);
  } finally {
    await run.ensureDead();
    killAll([child, grandchild]);
    await tmp.cleanup();
  }
});

Deno.test("run --restart on-failure restarts a command that fails twice with backoff 1 s then 2 s", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const pidfile = `${tmp.path}/pid`;
  const port = freePort();
  const run = startCli(
    serverRunArgs("flaky", tmp.path, port, ["--restart", "on-failure"], [
      "--fail-times",
      "2",
      "--counter",
      `${tmp.path}/count`,
      "--pidfile",
      pidfile,
    ]),
    { db },
  );
  let child: number | undefined;
  try {
    const err = await run.waitStderr(/ready at/);
    assert.match(err, /exited with code 3; restarting in 1s \(restart 1 of 5\)/);
    assert.match(err, /exited with code 3; restarting in 2s \(restart 2 of 5\)/);
    assert.doesNotMatch(err, /restart 3 of 5/);
    assert.equal(Deno.readTextFileSync(`${tmp.path}/count`), "3");
    child = await readPid(pidfile);
    const row = await registryRow(db, "flaky");
    assert.equal(row?.pid, child, "the registry records the restarted child");
    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 143);
    await waitGone([child]);
  } finally {
    await run.ensureDead();
    killAll([child]);
    await tmp.cleanup();
  }
});

Deno.test("run --restart on-failure gives up after 5 restarts and exits with the command's code", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const run = startCli([
    ...runArgs("broken", tmp.path),
    "--no-mdns",
    "--restart",
    "on-failure",
    "--",
    ...SERVER_CMD,
    "--fail-times",
    "99",
    "--counter",
    `${tmp.path}/count`,
  ], { db, env: { TREEHOUSE_RESTART_BACKOFF: "50ms" } });
  try {
    assert.equal(await run.status, 3);
    const err = run.stderr();
    for (let i = 1; i <= 5; i++) assert.match(err, new RegExp(`\\(restart ${i} of 5\\)`));
    assert.match(err, /exited with code 3; gave up after 5 restarts/);
    assert.equal(Deno.readTextFileSync(`${tmp.path}/count`), "6", "started once and restarted 5 times");
    assert.match(err, /restarting in 0\.05s \(restart 1 of 5\)/);
    assert.match(err, /restarting in 0\.8s \(restart 5 of 5\)/);
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});

Deno.test("run --restart on-failure starts counting again after a healthy run", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  // Backoff 20 ms: a run of 60 steps (1.2 s) is healthy; this command crashes after 1.5 s every time.
  const run = startCli([
    ...runArgs("crashes-daily", tmp.path),
    "--no-mdns",
    "--restart",
    "on-failure",
    "--",
    "sh",
    "-c",
    "sleep 1.5; exit 3",
  ], { db, env: { TREEHOUSE_RESTART_BACKOFF: "20ms" } });
  try {
    await run.waitStderr(/(restarting in 0\.02s \(restart 1 of 5\)[\s\S]*){3}/, 20_000);
    assert.doesNotMatch(run.stderr(), /restart 2 of 5|gave up/);
    Deno.kill(run.pid, "SIGTERM");
    // 143, or 3 when the SIGTERM met the command just as it crashed on its own.
    assert.ok([143, 3].includes(await run.status));
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});

Deno.test("run --restart on-failure does not restart a clean exit", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const run = startCli(
    [
      ...runArgs("clean", tmp.path),
      "--no-mdns",
      "--restart",
      "on-failure",
      "--",
      ...SERVER_CMD,
      "--exit",
      "0",
    ],
    { db },
  );
  try {
    assert.equal(await run.status, 0);
    assert.doesNotMatch(run.stderr(), /restarting/);
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});

Deno.test("run --ready times out with exit 11, the command's last lines, and the command stopped", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const pidfile = `${tmp.path}/pid`;
  const port = freePort();
  const run = startCli(
    serverRunArgs("slow", tmp.path, port, ["--ready-timeout", "3"], ["--no-listen", "--pidfile", pidfile]),
    { db },
  );
  let child: number | undefined;
  try {
    assert.equal(await run.status, 11);
    child = await readPid(pidfile);
    assert.match(
      run.stderr(),
      /did not answer on \d+ within 3s; its last output:\n {2}starting up\n {2}still starting|did not answer on \d+ within 3s; its last output:\n {2}still starting\n {2}starting up/,
    );
    assert.match(run.stderr(), /treehouse: Not ready after 3s/);
    assert.match(run.stdout(), /starting up/, "the command's output still reaches stdout");
    await waitGone([child]);
    assert.ok(isGone(child));
  } finally {
    await run.ensureDead();
    killAll([child]);
    await tmp.cleanup();
  }
});

Deno.test("run --ready accepts a URL and prints ready once it answers", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const pidfile = `${tmp.path}/pid`;
  const port = freePort();
  // The branch's IP is the pool's first: ask for it before starting.
  const pool = "127.0.0.60-127.0.0.69";
  const run = startCli([
    ...runArgs("url", tmp.path),
    "--port",
    String(port),
    "--no-mdns",
    "--ready",
    `http://127.0.0.60:${port}/health`,
    "--",
    ...SERVER_CMD,
    "--pidfile",
    pidfile,
  ], { db, env: { TREEHOUSE_POOL: pool } });
  let child: number | undefined;
  try {
    await run.waitStderr(/ready at http:\/\/url\.local:\d+/);
    child = await readPid(pidfile);
    // Ready means the URL answers, and it is the child that answers it.
    const answer = await getJson(`http://127.0.0.60:${port}/health`);
    assert.equal(answer.pid, child);
    assert.equal(run.stderr().match(/ready at/g)?.length, 1, run.stderr());
    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 143, run.stderr());
    await waitGone([child]);
  } finally {
    await run.ensureDead();
    killAll([child]);
    await tmp.cleanup();
  }
});

Deno.test("run --ready ends when the command exits, even if a background grandchild holds its output", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const grandfile = `${tmp.path}/grandchild`;
  const port = freePort();
  const run = startCli([
    ...runArgs("holder", tmp.path),
    "--no-mdns",
    "--ready",
    String(port),
    "--",
    "sh",
    "-c",
    `sleep 300 & echo $! > ${grandfile}; exit 5`,
  ], { db });
  let grandchild: number | undefined;
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      run.status,
      new Promise<string>((r) => (timer = setTimeout(() => r("still running after 15 s"), 15_000))),
    ]);
    clearTimeout(timer);
    assert.equal(code, 5);
    grandchild = await readPid(grandfile);
    await waitGone([grandchild]);
  } finally {
    await run.ensureDead();
    killAll([grandchild]);
    await tmp.cleanup();
  }
});
