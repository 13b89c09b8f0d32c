/**
 * The control commands of a `run --https` run (issues 13 and 15): `run --detach`, `status`, `restart`
 * and `open` give the front's https URL, the one `list` and `info` show. Pool 127.0.121.x (this
 * file's own, see SERVER_FILE_POOLS), branches prefixed qa-.
 */
import assert from "node:assert/strict";
import { cli, type CliOptions, tempDir } from "../helpers/cli.ts";
import { freePort, killAll, runArgs } from "../helpers/harness.ts";

const hasPython =
  new Deno.Command("sh", { args: ["-c", "command -v python3"], stdout: "null" }).outputSync().success;

Deno.test({
  name: "a detached run --https prints, reports, restarts and opens its https URL",
  ignore: !hasPython,
  fn: async () => {
    const tmp = await tempDir("treehouse-qa-https-");
    // A fake xdg-open that records what it was asked to open.
    await Deno.mkdir(`${tmp.path}/bin`);
    await Deno.writeTextFile(`${tmp.path}/bin/xdg-open`, `#!/bin/sh\necho "$@" > ${tmp.path}/opened\n`);
    await Deno.chmod(`${tmp.path}/bin/xdg-open`, 0o755);
    const options: CliOptions = {
      db: `${tmp.path}/data/registry.db`,
      env: {
        TREEHOUSE_RUNTIME_DIR: `${tmp.path}/rt`,
        PATH: `${tmp.path}/bin:${Deno.env.get("PATH") ?? ""}`,
      },
    };
    const project = tmp.path;
    const target = ["--branch", "qa-https", "--project", project];
    const pids: number[] = [];
    try {
      const port = String(freePort());
      const started = await cli([
        ...runArgs("qa-https", project, "--detach", "--https", "--port", port, "--no-mdns", "--"),
        "python3",
        "-m",
        "http.server",
        "{port}",
        "--bind",
        "{ip}",
      ], options);
      assert.equal(started.code, 0, started.stderr);
      const url = started.stdout.trim();
      assert.match(url, /^https:\/\/qa-https\.local(:\d+)?\/$/);
      const info = JSON.parse((await cli(["info", ...target, "--json"], options)).stdout);
      assert.equal(info.url, url, "run --detach prints the URL info shows");

      const status = await cli(["status", ...target, "--json"], options);
      const view = JSON.parse(status.stdout);
      pids.push(view.pid, view.wrapper_pid);
      assert.equal(view.url, url);
      assert.equal(view.https_url, url);
      assert.equal((await cli(["status", ...target, "--wait"], options)).stdout, `${url}\n`);
      const all = JSON.parse((await cli(["status", "--all", "--json"], options)).stdout);
      assert.equal(all[0].url, url);

      const restarted = await cli(["restart", ...target], options);
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.equal(restarted.stdout, `${url}\n`);

      const opened = await cli(["open", ...target], options);
      assert.equal(opened.code, 0, opened.stderr);
      assert.equal((await Deno.readTextFile(`${tmp.path}/opened`)).trim(), url, "open opens the https URL");
      assert.equal((await cli(["open", ...target, "--print"], options)).stdout, `${url}\n`);

      const stopped = await cli(["stop", ...target], options);
      assert.equal(stopped.code, 0, stopped.stderr);
      // An ended run: stdout stays empty (`url=$(treehouse status --wait)`), the state goes to stderr.
      // (An ended run is waited for, in case a new one starts: --timeout keeps that short.)
      const ended = await cli(["status", ...target, "--wait", "--timeout", "1"], options);
      assert.equal(ended.code, 20, ended.stderr);
      assert.equal(ended.stdout, "");
      assert.match(ended.stderr, /^State: +stopped/m);
      assert.match(ended.stderr, /^treehouse: The default run of qa-https is stopped/m);
    } finally {
      // Whatever failed above, no run of this file outlives it.
      await cli(["stop", "--all"], options);
      killAll(pids);
      await tmp.cleanup();
    }
  },
});

Deno.test({
  name: "a detached run that fails before its server starts shows why (its error reaches the log)",
  ignore: !hasPython,
  fn: async () => {
    const tmp = await tempDir("treehouse-qa-https-");
    const options: CliOptions = {
      db: `${tmp.path}/data/registry.db`,
      env: { TREEHOUSE_RUNTIME_DIR: `${tmp.path}/rt` },
    };
    try {
      // A corrupt CA: `run --https` fails with exit 13 before it starts the server.
      await Deno.mkdir(`${tmp.path}/data/tls`, { recursive: true, mode: 0o700 });
      await Deno.writeTextFile(`${tmp.path}/data/tls/ca.pem`, "junk\n");
      await Deno.writeTextFile(`${tmp.path}/data/tls/ca-key.pem`, "junk\n");
      const started = await cli([
        ...runArgs(
          "qa-badca",
          tmp.path,
          "--detach",
          "--https",
          "--port",
          String(freePort()),
          "--no-mdns",
          "--",
        ),
        "python3",
        "-m",
        "http.server",
      ], options);
      assert.equal(started.code, 13, started.stderr);
      assert.equal(started.stdout, "");
      assert.match(started.stderr, /its last output:\n.*The local CA certificate is corrupt/);
      assert.doesNotMatch(started.stderr, /\(no output\)/);
    } finally {
      await cli(["stop", "--all"], options);
      await tmp.cleanup();
    }
  },
});
