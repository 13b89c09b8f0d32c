/**
 * `treehouse list --watch` on a real terminal (tmux): the table shows, a new branch appears without
 * anything typed, frames overwrite each other (no screen clearing, so no flicker) and Ctrl-C quits
 * with exit 0, giving the shell's screen back; with --json, one line per change.
 */
import assert from "node:assert/strict";
import { shellQuote } from "../../src/cli/output.ts";
import { childEnv, cli, tempDir } from "../helpers/cli.ts";
import { startCli, waitUntil } from "../helpers/harness.ts";
import { hasTmux, newSession, PLAIN_BASH, tmux, tmuxSocket, treehouseWords } from "../helpers/tmux.ts";

const POOL = { TREEHOUSE_POOL: "127.0.7.10-127.0.7.99" };

Deno.test({
  name: "list --watch redraws in place as branches change and quits on Ctrl-C",
  ignore: !hasTmux,
  fn: async () => {
    const tmp = await tempDir();
    const db = `${tmp.path}/r.db`;
    const project = `${tmp.path}/app`;
    await Deno.mkdir(project);
    const socket = tmuxSocket("treehouse-dash");
    try {
      assert.equal(
        (await cli(["allocate", "--branch", "dash-w1", "--project", project], { db, env: POOL })).code,
        0,
      );
      const env = childEnv({ db, env: { ...POOL, NO_COLOR: "1", TERM: "xterm-256color" } });
      const command = [
        treehouseWords(env),
        "list --watch --all",
      ].join(" ");
      await Deno.writeTextFile(`${tmp.path}/watch.sh`, `${command}\necho "exit-$?"\n`);
      await newSession(socket, PLAIN_BASH, 220, 40);
      await tmux(socket, "pipe-pane", "-o", "-t", "t", `cat >> ${shellQuote(`${tmp.path}/raw`)}`);
      const screen = () => tmux(socket, "capture-pane", "-p", "-t", "t");
      await tmux(socket, "send-keys", "-t", "t", "-l", `bash ${shellQuote(`${tmp.path}/watch.sh`)}`);
      await tmux(socket, "send-keys", "-t", "t", "Enter");
      await waitUntil(async () => (await screen()).includes("dash-w1"), 20_000, "the first table");
      assert.match(await screen(), /BRANCH\s+IP\s+HOSTNAME\s+PORT\s+URL\s+STATUS/);
      assert.match(
        await screen(),
        /dash-w1\s+127\.0\.7\.\d+\s+dash-w1\.local\s+\d+\s+http:\/\/dash-w1\.local:\d+\s+STOPPED/,
      );

      assert.equal(
        (await cli(["allocate", "--branch", "dash-w2", "--project", project], { db, env: POOL })).code,
        0,
      );
      await waitUntil(async () => (await screen()).includes("dash-w2"), 10_000, "the new branch on screen");
      const shown = await screen();
      assert.equal(
        shown.split("\n").filter((l) => l.includes("BRANCH")).length,
        1,
        "one table, redrawn in place",
      );

      await tmux(socket, "send-keys", "-t", "t", "C-c");
      await waitUntil(async () => (await screen()).includes("exit-0"), 10_000, "exit 0 after Ctrl-C");
      assert.ok(!(await screen()).includes("dash-w2"), "the shell's screen is back");
      const raw = await Deno.readTextFile(`${tmp.path}/raw`);
      assert.ok(raw.includes("\x1b[H"), "frames start at the home position");
      assert.ok(!raw.includes("\x1b[2J"), "the screen is never cleared (no flicker)");
    } finally {
      await tmux(socket, "kill-server");
      await tmp.cleanup();
    }
  },
});

Deno.test("list --watch --json prints one JSON line per change and ends on SIGINT with exit 0", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const project = `${tmp.path}/app`;
  await Deno.mkdir(project);
  const watch = startCli(["list", "--watch", "--json", "--project", project], { db, env: POOL });
  try {
    await waitUntil(() => watch.stdout().includes("\n"), 20_000, "the first line");
    assert.deepEqual(JSON.parse(watch.stdout().split("\n")[0] as string).projects, []);
    assert.equal(
      (await cli(["allocate", "--branch", "dash-j1", "--project", project], { db, env: POOL })).code,
      0,
    );
    await waitUntil(() => watch.stdout().split("\n").length > 2, 10_000, "a second line");
    const second = JSON.parse(watch.stdout().split("\n")[1] as string);
    assert.deepEqual(second.projects[0].branches.map((b: { branch: string }) => b.branch), ["dash-j1"]);
    assert.equal(second.projects[0].branches[0].state, "stopped");
  } finally {
    try {
      Deno.kill(watch.pid, "SIGINT");
    } catch { /* ended */ }
    assert.equal(await watch.status, 0);
    await tmp.cleanup();
  }
});
