/**
 * `treehouse run` with nothing typed (issue 16): the project's [run] command, asked about before it
 * first runs; framework presets; the port remembered per branch and service; the check of where the
 * server bound. Real servers (python3 http.server, the Deno fixture) on the pool 127.0.6.10-99.
 */
import assert from "node:assert/strict";
import { shellQuote } from "../../../src/cli/output.ts";
import { childEnv, cli, git, makeRepo, tempDir } from "../../helpers/cli.ts";
import { freePort, runArgs, SERVER_CMD, startCli, waitUntil } from "../../helpers/harness.ts";
import { hasTmux, newSession, tmux, tmuxSocket, treehouseWords } from "../../helpers/tmux.ts";

const POOL = "127.0.6.10-127.0.6.99";
const env = { TREEHOUSE_POOL: POOL };

async function answers(url: string): Promise<number> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
}

Deno.test("a project's [run] command never runs without consent: off a terminal it is exit 2 and nothing starts", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "app");
    await Deno.writeTextFile(
      `${repo}/marker.py`,
      `open(${JSON.stringify(`${tmp.path}/ran`)}, "w").write("x")\n`,
    );
    await Deno.writeTextFile(`${repo}/treehouse.toml`, '[run]\ncommand = ["python3", "marker.py"]\n');
    const db = `${tmp.path}/r.db`;
    const result = await cli(["run", "--no-mdns"], { cwd: repo, db, env });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /treehouse\.toml \[run\] wants to run a command you have not agreed to:\n {2}python3 marker\.py/,
    );
    assert.match(result.stderr, /--yes/);
    await assert.rejects(Deno.stat(`${tmp.path}/ran`), Deno.errors.NotFound);
    const info = await cli(["info"], { cwd: repo, db, env });
    assert.equal(info.code, 3, "nothing was allocated either");

    const yes = await cli(["run", "--no-mdns", "--yes"], { cwd: repo, db, env });
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stderr, /running .*treehouse\.toml \[run\] \(--yes\):\n {2}python3 marker\.py/);
    await Deno.stat(`${tmp.path}/ran`);
    const again = await cli(["run", "--no-mdns"], { cwd: repo, db, env });
    assert.equal(again.code, 2, "--yes answers for one run, it records nothing");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a plain run starts [run] with its preset, on two worktrees at once, each answering on its IP", async () => {
  const tmp = await tempDir();
  const runs: ReturnType<typeof startCli>[] = [];
  try {
    const repo = await makeRepo(tmp.path, "site");
    await Deno.writeTextFile(`${repo}/index.html`, "<p>hello</p>\n");
    await Deno.writeTextFile(`${repo}/treehouse.toml`, '[run]\ncommand = "python3 -m http.server"\n');
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "site");
    await git(repo, "worktree", "add", "-q", "-b", "run0-other", `${tmp.path}/other`);
    const db = `${tmp.path}/r.db`;
    const port = freePort();
    for (const dir of [repo, `${tmp.path}/other`]) {
      runs.push(
        startCli(["run", "--no-mdns", "--yes", "--port", String(port), "--ready", "{url}/"], {
          cwd: dir,
          db,
          env,
        }),
      );
    }
    for (const run of runs) await run.waitStderr(/ready at/);
    const ips = runs.map((r) => /IP\s+(127\.0\.6\.\d+)/.exec(r.stderr())?.[1]);
    assert.ok(ips[0] && ips[1] && ips[0] !== ips[1], runs.map((r) => r.stderr()).join("\n"));
    for (const [i, run] of runs.entries()) {
      assert.match(
        run.stderr(),
        new RegExp(`Preset\\s+http\\.server: added --bind ${ips[i]!.replaceAll(".", "\\.")} ${port}`),
      );
      assert.match(
        run.stderr(),
        new RegExp(`Command\\s+python3 -m http\\.server --bind ${ips[i]!.replaceAll(".", "\\.")} ${port}`),
      );
      assert.doesNotMatch(run.stderr(), /warning: The server listens/, "the branch IP needs no warning");
      assert.equal(await answers(`http://${ips[i]}:${port}/`), 200);
    }
  } finally {
    for (const run of runs) {
      try {
        Deno.kill(run.pid, "SIGTERM");
      } catch { /* gone */ }
      await run.status;
    }
    await tmp.cleanup();
  }
});

Deno.test("the port is remembered per branch and service: --port records it, a run without one uses it", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "app");
    const db = `${tmp.path}/r.db`;
    const [first, second] = [freePort(), freePort()];
    await Deno.writeTextFile(
      `${repo}/treehouse.toml`,
      `[run]\nport = ${second}\n[run.api]\ncommand = "x"\nport = ${second}\n`,
    );
    const once = (...args: string[]) =>
      cli(runArgs("run0-remember", repo, "--no-mdns", ...args, "--", "true"), { db, env, cwd: repo });
    assert.match(
      (await once()).stderr,
      new RegExp(`URL\\s+http://run0-remember\\.local:${second}\\b`),
      "[run] port",
    );
    assert.equal((await once("--port", String(first))).code, 0);
    assert.match((await once()).stderr, new RegExp(`:${first}\\b`), "the recorded port wins over [run]");
    assert.match((await once()).stderr, new RegExp(`:${first}\\b`), "a run without --port does not reset it");
    const api = await cli(runArgs("run0-remember", repo, "--no-mdns", "api", "--", "true"), {
      db,
      env,
      cwd: repo,
    });
    assert.match(
      api.stderr,
      new RegExp(`URL\\s+http://run0-remember\\.local:${second}\\b[\\s\\S]*Service\\s+api`),
      "another service keeps its own",
    );
    const vars = await cli(["env", "--branch", "run0-remember", "--project", repo, "--format", "dotenv"], {
      db,
      env,
      cwd: repo,
    });
    assert.match(vars.stdout, new RegExp(`^TREEHOUSE_PORT="${first}"$`, "m"));
    const info = await cli(["info", "run0-remember", "--project", repo, "--json"], { db, env, cwd: repo });
    assert.equal(JSON.parse(info.stdout).env.TREEHOUSE_PORT, String(first));
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("the bind check warns for 127.0.0.1 and 0.0.0.0, naming the flag to fix", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "app");
    const db = `${tmp.path}/r.db`;
    for (
      const [bind, pattern] of [
        [
          "127.0.0.1",
          /warning: The server listens on 127\.0\.0\.1:\d+, not on the branch's IP 127\.0\.6\.\d+: .*Fix: pass --bind \{ip\}/,
        ],
        [
          "0.0.0.0",
          /warning: The server listens on 0\.0\.0\.0:\d+ \(every address\): it takes port \d+ on every branch's IP and on the LAN/,
        ],
      ] as const
    ) {
      const run = startCli(
        runArgs(
          `run0-bind-${bind}`,
          repo,
          "--no-mdns",
          "--port",
          String(freePort()),
          "--",
          "python3",
          "-m",
          "http.server",
          "--bind",
          bind,
        ),
        { db, env },
      );
      try {
        await run.waitStderr(pattern);
      } finally {
        try {
          Deno.kill(run.pid, "SIGTERM");
        } catch { /* gone */ }
        await run.status;
      }
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("run without -- explains where it goes, and an unknown placeholder names the known ones", async () => {
  const typed = await cli(["run", "npx", "vite", "--host", "{ip}"], { env });
  assert.equal(typed.code, 2);
  assert.match(
    typed.stderr,
    /^treehouse: Put the command after `--`: treehouse run -- npx vite --host \{ip\}$/m,
  );
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "app");
    const ready = await cli(runArgs("run0-ph", repo, "--ready", "{prot}://{host}/", "--", "true"), {
      env,
      db: `${tmp.path}/r.db`,
    });
    assert.equal(ready.code, 2);
    assert.match(
      ready.stderr,
      /Unknown placeholder \{prot\} in --ready\nhint: Known placeholders: \{ip\} \{port\} \{host\} \{url\} \{branch\} \{db\} \{cert\} \{key\}/,
    );
    const service = await cli(runArgs("run0-ph", repo, "vite"), { env, db: `${tmp.path}/r.db` });
    assert.equal(service.code, 2);
    assert.match(service.stderr, /No \[run\] table|No command to run|No service "vite"/);
    assert.match(service.stderr, /treehouse run -- vite/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a typed command keeps the server's own flags: presets never double them", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "app");
    const port = freePort();
    const result = await cli(
      runArgs("run0-typed", repo, "--no-mdns", "--port", String(port), "--", ...SERVER_CMD, "--exit", "0"),
      { env, db: `${tmp.path}/r.db` },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /Preset/);
    const vite = await cli(
      runArgs("run0-typed", repo, "--no-mdns", "--no-preset", "--", "true", "vite"),
      { env, db: `${tmp.path}/r.db` },
    );
    assert.doesNotMatch(vite.stderr, /Preset/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test({
  name:
    "on a terminal, run shows the project's command and asks once; the yes is remembered until it changes",
  ignore: !hasTmux,
  fn: async () => {
    const tmp = await tempDir();
    const socket = tmuxSocket("treehouse-run0");
    try {
      const repo = await makeRepo(tmp.path, "app");
      const marker = `${tmp.path}/ran`;
      await Deno.writeTextFile(`${repo}/mark.py`, `open(${JSON.stringify(marker)}, "a").write("x")\n`);
      await Deno.writeTextFile(`${repo}/treehouse.toml`, '[run]\ncommand = ["python3", "mark.py"]\n');
      const db = `${tmp.path}/r.db`;
      const vars = childEnv({ db, env });
      const line = [
        "cd",
        shellQuote(repo),
        `&& exec ${treehouseWords(vars)}`,
        "run --no-mdns",
      ].join(" ");
      await Deno.writeTextFile(`${tmp.path}/run.sh`, `${line}\n`);
      await newSession(socket);
      await tmux(socket, "send-keys", "-t", "t", "-l", `bash ${shellQuote(`${tmp.path}/run.sh`)}`);
      await tmux(socket, "send-keys", "-t", "t", "Enter");
      await waitUntil(
        async () => (await tmux(socket, "capture-pane", "-p", "-t", "t")).includes("Run it? [y/N]"),
        20_000,
        "the question",
      );
      const screen = await tmux(socket, "capture-pane", "-p", "-t", "t");
      assert.match(screen, /treehouse\.toml \[run\] wants to run:\n {2}python3 mark\.py/);
      await tmux(socket, "send-keys", "-t", "t", "y", "Enter");
      await waitUntil(() => Deno.stat(marker).then(() => true, () => false), 20_000, "the command to run");
      // The terminal's run ends (its shell is in the foreground again) before the next run starts.
      await waitUntil(
        async () =>
          (await tmux(socket, "display-message", "-p", "-t", "t", "#{pane_current_command}")).trim() ===
            "bash",
        20_000,
        "the terminal's run to end",
      );

      const again = await cli(["run", "--no-mdns"], { cwd: repo, db, env });
      assert.equal(again.code, 0, `the yes is remembered: ${again.stderr}`);
      assert.equal(await Deno.readTextFile(marker), "xx");
      await Deno.writeTextFile(
        `${repo}/treehouse.toml`,
        '[run]\ncommand = ["python3", "mark.py", "changed"]\n',
      );
      const changed = await cli(["run", "--no-mdns"], { cwd: repo, db, env });
      assert.equal(changed.code, 2, "a changed command is asked about again");
    } finally {
      await tmux(socket, "kill-server");
      await tmp.cleanup();
    }
  },
});
