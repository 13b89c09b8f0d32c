/**
 * What `status` and `run --detach` say of a run that was not ready in time or crash-loops (issue 15):
 * the reason recorded, the restarts counted like the log counts them. Pool 127.0.125.x (this file's
 * own, see SERVER_FILE_POOLS), branches prefixed polish-.
 */
import assert from "node:assert/strict";
import { cli, type CliOptions, tempDir } from "../helpers/cli.ts";
import { freePort, runArgs, startCli } from "../helpers/harness.ts";

async function setup(more: Record<string, string> = {}) {
  const tmp = await tempDir("treehouse-polish-reasons-");
  const options: CliOptions = {
    db: `${tmp.path}/data/registry.db`,
    env: { TREEHOUSE_RUNTIME_DIR: `${tmp.path}/rt`, ...more },
  };
  return { tmp, options, project: tmp.path };
}

async function statusJson(branch: string, project: string, options: CliOptions) {
  const r = await cli(["status", "--branch", branch, "--project", project, "--json"], options);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("a run that run --detach stopped at --ready-timeout says in status --json that it was not ready in time", async () => {
  const { tmp, options, project } = await setup();
  try {
    const r = await cli([
      ...runArgs("polish-never", project, "--detach", "--ready-timeout", "2", "--no-mdns", "--"),
      "sh",
      "-c",
      "exec sleep 60",
    ], options);
    assert.equal(r.code, 11, r.stderr);
    const view = await statusJson("polish-never", project, options);
    assert.match(view.reason ?? "", /did not become ready within 2s/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a crash-looping detached run that is not ready in time is said to have exited and been restarted", async () => {
  const { tmp, options, project } = await setup({ TREEHOUSE_RESTART_BACKOFF: "100ms" });
  try {
    const r = await cli([
      ...runArgs("polish-loop", project, "--detach", "--restart", "on-failure", "--ready-timeout", "3"),
      "--no-mdns",
      "--",
      "sh",
      "-c",
      "echo boom; exit 3",
    ], options);
    assert.equal(r.code, 11, r.stderr);
    // Usually run --detach gives up first and says what the record saw ("…: it exited with code 3 and was
    // restarted N times"); when its wrapper's own ready timeout fires first (a loaded machine), the wrapper
    // ends the run itself and the words differ: the restarts are then read from the record.
    assert.match(r.stderr, /did not become ready within 3s|Not ready after 3s/);
    assert.doesNotMatch(r.stderr, /did not answer/);
    const view = await statusJson("polish-loop", project, options);
    assert.match(view.reason ?? "", /did not become ready within 3s/);
    if (/run --detach stopped it/.test(view.reason ?? "")) {
      assert.match(
        r.stderr,
        /^treehouse: sh did not become ready within 3s: it exited with code 3 and was restarted (once|\d+ times)/m,
      );
      assert.match(view.reason ?? "", /: it exited with code 3 and was restarted/);
    }
    assert.ok((view.restarts ?? 0) >= 1, JSON.stringify(view));
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a run waiting out its restart backoff has the log's restart number in its reason and one fewer restarts", async () => {
  const { tmp, options, project } = await setup({ TREEHOUSE_RESTART_BACKOFF: "30s" });
  const run = startCli([
    ...runArgs("polish-wait", project, "--restart", "on-failure", "--port", String(freePort()), "--no-mdns"),
    "--",
    "sh",
    "-c",
    "exit 3",
  ], options);
  try {
    await run.waitStderr(/exited with code 3; restarting in 30s \(restart 1 of 5\)/);
    let view = await statusJson("polish-wait", project, options);
    for (let i = 0; i < 100 && view.state !== "restarting"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      view = await statusJson("polish-wait", project, options);
    }
    assert.equal(view.state, "restarting");
    assert.equal(view.restarts, 0);
    assert.equal(view.reason, "the server exited with code 3; restart 1 of 5 in 30s");
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});
