/**
 * `run --detach` shows its wrapper's warnings (issue 15): they used to reach only the run's log. Pool
 * 127.0.123.x (this file's own, see SERVER_FILE_POOLS), branches prefixed ctrl3-.
 */
import assert from "node:assert/strict";
import { cli, type CliOptions, tempDir } from "../helpers/cli.ts";
import { freePort, killAll, runArgs } from "../helpers/harness.ts";

const hasPython =
  new Deno.Command("sh", { args: ["-c", "command -v python3"], stdout: "null" }).outputSync().success;

Deno.test({
  name: "run --detach prints the wrapper's warnings on its stderr before the URL, not the server's lines",
  ignore: !hasPython,
  fn: async () => {
    const tmp = await tempDir("treehouse-ctrl3-warn-");
    const options: CliOptions = {
      db: `${tmp.path}/data/registry.db`,
      env: { TREEHOUSE_RUNTIME_DIR: `${tmp.path}/rt` },
    };
    const project = tmp.path;
    const target = ["--branch", "ctrl3-warn", "--project", project];
    const pids: number[] = [];
    let holder: Deno.Listener | undefined;
    try {
      const allocated = await cli(["allocate", ...target, "--json"], options);
      assert.equal(allocated.code, 0, allocated.stderr);
      const ip = JSON.parse(allocated.stdout).ip as string;
      // Port 80 of the branch's IP is taken: the --port80 front warns and uses the next port.
      holder = Deno.listen({ hostname: ip, port: 80 });
      const started = await cli([
        ...runArgs(
          "ctrl3-warn",
          project,
          "--detach",
          "--port80",
          "--port",
          String(freePort()),
          "--no-mdns",
          "--",
        ),
        "sh",
        "-c",
        'echo "warning: the server\'s own line"; exec python3 -m http.server "$TREEHOUSE_PORT" --bind "$TREEHOUSE_IP"',
      ], options);
      assert.equal(started.code, 0, started.stderr);
      const view = JSON.parse((await cli(["status", ...target, "--json"], options)).stdout);
      pids.push(view.pid, view.wrapper_pid);
      assert.match(
        started.stderr,
        new RegExp(`^warning: http on ${ip.replaceAll(".", "\\.")}:80 is taken.*using the next port$`, "m"),
      );
      assert.doesNotMatch(started.stderr, /the server's own line/, "only the wrapper's warnings");
      const lines = started.stderr.split("\n");
      assert.ok(
        lines.findIndex((l) => l.startsWith("warning: http on")) <
          lines.findIndex((l) => l.includes("ready, pid")),
        started.stderr,
      );
      assert.match(started.stdout, /^http:\/\/ctrl3-warn\.local:\d+\/?\n$/);
      const log = await cli(["logs", ...target], options);
      assert.match(log.stdout, /treehouse: warning: http on .*:80 is taken/);
    } finally {
      holder?.close();
      await cli(["stop", "--all"], options);
      killAll(pids);
      await tmp.cleanup();
    }
  },
});
