/**
 * A run in a real terminal (tmux gives it a pseudo-terminal) restarted from another directory with
 * `--branch` (issue 15): the new server keeps the terminal, and Ctrl-C still ends the run. Its output
 * is on the terminal and in `treehouse logs` (the wrapper's memory), `logs -f` following it live.
 */
import assert from "node:assert/strict";
import { shellQuote } from "../../src/cli/output.ts";
import { childEnv, cli, tempDir } from "../helpers/cli.ts";
import {
  freePort,
  isGone,
  killAll,
  readPid,
  SERVER,
  startCli,
  waitGone,
  waitUntil,
} from "../helpers/harness.ts";
import { hasTmux, newSession, tmux, tmuxSocket, treehouseWords } from "../helpers/tmux.ts";

Deno.test({
  name: "a run in a terminal is restarted from elsewhere and its new server keeps the terminal",
  ignore: !hasTmux,
  fn: async () => {
    const tmp = await tempDir("treehouse-ctrl-tty-");
    const socket = tmuxSocket("treehouse-ctrl");
    const env = { TREEHOUSE_POOL: "127.0.5.10-127.0.5.99", TREEHOUSE_RUNTIME_DIR: `${tmp.path}/rt` };
    const db = `${tmp.path}/r.db`;
    const pidfile = `${tmp.path}/pid`;
    const ttyfile = `${tmp.path}/tty`;
    const port = freePort();
    const command = [
      `exec ${treehouseWords(childEnv({ db, env }))}`,
      `run --branch ctrl-tty --project ${shellQuote(tmp.path)} --port ${port} --no-mdns --`,
      shellQuote(Deno.execPath()),
      "run -A --quiet",
      shellQuote(SERVER),
      "--pidfile",
      shellQuote(pidfile),
      "--tty",
      shellQuote(ttyfile),
      "--log-requests",
    ].join(" ");
    await Deno.writeTextFile(`${tmp.path}/run.sh`, `${command}\n`);
    await newSession(socket);
    const pids: number[] = [];
    try {
      await tmux(socket, "send-keys", "-t", "t", "-l", `bash ${shellQuote(`${tmp.path}/run.sh`)}`);
      await tmux(socket, "send-keys", "-t", "t", "Enter");
      pids.push(await readPid(pidfile));
      const elsewhere = `${tmp.path}/elsewhere`;
      Deno.mkdirSync(elsewhere);
      const target = ["--branch", "ctrl-tty", "--project", tmp.path];
      const ready = await cli(["status", ...target, "--wait", "--timeout", "20"], {
        db,
        env,
        cwd: elsewhere,
      });
      assert.equal(ready.code, 0, ready.stderr);
      Deno.removeSync(pidfile);
      Deno.removeSync(ttyfile);
      const restarted = await cli(["restart", ...target, "--json"], { db, env, cwd: elsewhere });
      assert.equal(restarted.code, 0, restarted.stderr);
      const second = await readPid(pidfile);
      pids.push(second);
      assert.notEqual(second, pids[0]);
      assert.ok(isGone(pids[0] as number));
      await waitUntil(
        () => {
          try {
            return Deno.readTextFileSync(ttyfile).includes("stdin");
          } catch {
            return false;
          }
        },
        10_000,
        "the new server's terminal check",
      );
      assert.deepEqual(JSON.parse(Deno.readTextFileSync(ttyfile)), { stdin: true, devTty: true });
      if (Deno.build.os === "linux") {
        // Its output is piped to the terminal: told so, except for colour (the test sets NO_COLOR).
        const environ = Deno.readTextFileSync(`/proc/${second}/environ`).split("\0");
        assert.ok(environ.includes("PYTHONUNBUFFERED=1"), "PYTHONUNBUFFERED for output bound for a terminal");
        assert.ok(!environ.some((v) => v.startsWith("FORCE_COLOR=")), "no FORCE_COLOR when NO_COLOR is set");
      }
      const status = JSON.parse((await cli(["status", ...target, "--json"], { db, env })).stdout);
      assert.equal(status.mode, "terminal");
      assert.equal(status.pid, second);

      // The output is on the terminal and in the wrapper's memory; `logs -f` follows it live.
      const screen = () => tmux(socket, "capture-pane", "-p", "-t", "t");
      await waitUntil(async () => /listening on/.test(await screen()), 10_000, "the server's line on screen");
      const logs = await cli(["logs", ...target], { db, env, cwd: elsewhere });
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /listening on/);
      const follow = startCli(["logs", ...target, "-f", "-n", "0"], { db, env, cwd: elsewhere });
      try {
        await waitUntil(
          async () => {
            await fetch(`http://${status.ip}:${port}/ctrl2-followed`).then((r) => r.body?.cancel());
            return follow.stdout().includes("request /ctrl2-followed");
          },
          10_000,
          "logs -f to show the request line",
        );
        await waitUntil(
          async () => /request \/ctrl2-followed/.test(await screen()),
          10_000,
          "the request line on screen too",
        );
      } finally {
        await follow.ensureDead();
      }
      // Ctrl-C on the terminal still ends the run.
      await tmux(socket, "send-keys", "-t", "t", "C-c");
      await waitGone([second, status.wrapper_pid]);
    } finally {
      await tmux(socket, "kill-server");
      killAll(pids);
      await tmp.cleanup();
    }
  },
});
