/** `treehouse run`'s signal rules: how a signal on a terminal is passed on, and the exit code after one. */
import assert from "node:assert/strict";
import { terminalSignal } from "../../../src/services/run/supervisor.ts";
import { makeRepo, tempDir } from "../../helpers/cli.ts";
import { freePort, runArgs, startCli } from "../../helpers/harness.ts";

Deno.test("on a terminal, SIGINT is forwarded only outside its foreground; SIGHUP waits; SIGTERM always goes", () => {
  assert.equal(terminalSignal("SIGINT", true), "reached");
  assert.equal(terminalSignal("SIGINT", undefined), "reached");
  assert.equal(terminalSignal("SIGINT", false), "forward");
  for (const fg of [true, false, undefined]) {
    assert.equal(terminalSignal("SIGHUP", fg), "hangup");
    assert.equal(terminalSignal("SIGTERM", fg), "forward");
  }
});

Deno.test("Ctrl-C during a restart backoff ends run with 130", async () => {
  const tmp = await tempDir();
  const repo = await makeRepo(tmp.path, "app", "s1-backoff");
  const run = startCli(
    runArgs(
      "s1-backoff",
      repo,
      "--no-mdns",
      "--restart",
      "on-failure",
      "--port",
      String(freePort()),
      "--",
      "sh",
      "-c",
      "exit 3",
    ),
    {
      db: `${tmp.path}/registry.db`,
      env: { TREEHOUSE_RESTART_BACKOFF: "30s", TREEHOUSE_POOL: "127.0.8.40-127.0.8.49" },
    },
  );
  try {
    await run.waitStderr(/exited with code 3; restarting in 30s/);
    Deno.kill(run.pid, "SIGINT");
    assert.equal(await run.status, 130, run.stderr());
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});
