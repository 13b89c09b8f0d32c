/**
 * `status --wait` before the run is there (issue 15): `treehouse run -- CMD &` then `status --wait` in a
 * script. Pool 127.0.124.x (this file's own, see SERVER_FILE_POOLS), branches prefixed ctrl3-.
 */
import assert from "node:assert/strict";
import { cli, type CliOptions, tempDir } from "../helpers/cli.ts";
import { freePort, killAll, runArgs, startCli } from "../helpers/harness.ts";

const hasPython =
  new Deno.Command("sh", { args: ["-c", "command -v python3"], stdout: "null" }).outputSync().success;

Deno.test({
  name:
    "status --wait started before a run (and after an older stopped one) waits for the new run to be ready",
  ignore: !hasPython,
  fn: async () => {
    const tmp = await tempDir("treehouse-ctrl3-wait-");
    const options: CliOptions = {
      db: `${tmp.path}/data/registry.db`,
      env: { TREEHOUSE_RUNTIME_DIR: `${tmp.path}/rt` },
    };
    const project = tmp.path;
    const target = ["--branch", "ctrl3-wait", "--project", project];
    const server = ["python3", "-m", "http.server", "{port}", "--bind", "{ip}"];
    const pids: number[] = [];
    const waits: ReturnType<typeof startCli>[] = [];
    try {
      // No run at all yet.
      const first = startCli(["status", ...target, "--wait", "--timeout", "60"], options);
      waits.push(first);
      await first.waitStderr(/No runs yet: waiting up to 60s/);
      const port = String(freePort());
      const run = startCli(
        [...runArgs("ctrl3-wait", project, "--port", port, "--no-mdns", "--"), ...server],
        options,
      );
      pids.push(run.pid);
      assert.equal(await first.status, 0, first.stderr());
      assert.equal(first.stdout(), `http://ctrl3-wait.local:${port}\n`);
      const stopped = await cli(["stop", ...target], options);
      assert.equal(stopped.code, 0, stopped.stderr);
      await run.status;

      // Only an older, stopped run: the new one is waited for, not reported as stopped at once.
      const second = startCli(["status", ...target, "--wait", "--timeout", "60"], options);
      waits.push(second);
      await second.waitStderr(/run of ctrl3-wait is stopped: waiting up to 60s/);
      const again = await cli(
        [...runArgs("ctrl3-wait", project, "--detach", "--port", port, "--no-mdns", "--"), ...server],
        options,
      );
      assert.equal(again.code, 0, again.stderr);
      const view = JSON.parse((await cli(["status", ...target, "--json"], options)).stdout);
      pids.push(view.pid, view.wrapper_pid);
      assert.equal(await second.status, 0, second.stderr());
      assert.equal(second.stdout(), `http://ctrl3-wait.local:${port}\n`);

      // Stopped and nothing new within the timeout: 20 with the reason, after the wait.
      assert.equal((await cli(["stop", ...target], options)).code, 0);
      const ended = await cli(["status", ...target, "--wait", "--timeout", "1"], options);
      assert.equal(ended.code, 20, ended.stderr);
      assert.equal(ended.stdout, "");
      assert.match(ended.stderr, /is stopped.*\(no new run started within 1s\)/);
    } finally {
      await cli(["stop", "--all"], options);
      for (const w of waits) await w.ensureDead();
      killAll(pids);
      await tmp.cleanup();
    }
  },
});
