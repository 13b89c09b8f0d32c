/**
 * Control of running servers from anywhere (issue 15), black-box with real processes and sockets:
 * run --detach, status, logs, restart, stop; a foreground run restarted from elsewhere; the wrapper
 * SIGKILLed. Pool 127.0.5.10-127.0.5.99 (this file's own), branches prefixed ctrl-.
 */
import assert from "node:assert/strict";
import { cli, type CliOptions, tempDir } from "../helpers/cli.ts";
import {
  freePort,
  isGone,
  killAll,
  readPid,
  runArgs,
  SERVER_CMD,
  startCli,
  waitGone,
  waitUntil,
} from "../helpers/harness.ts";
import { rawControlRequest } from "../../src/adapters/control-socket.ts";

const POOL = "127.0.5.10-127.0.5.99";
const hasPython =
  new Deno.Command("sh", { args: ["-c", "command -v python3"], stdout: "null" }).outputSync().success;

async function setup() {
  const tmp = await tempDir("treehouse-ctrl-");
  const options: CliOptions = {
    db: `${tmp.path}/data/registry.db`,
    env: { TREEHOUSE_POOL: POOL, TREEHOUSE_RUNTIME_DIR: `${tmp.path}/rt`, TREEHOUSE_HEARTBEAT: "500ms" },
  };
  return { tmp, options, project: tmp.path };
}

async function statusJson(branch: string, project: string, options: CliOptions, ...more: string[]) {
  const r = await cli(["status", "--branch", branch, "--project", project, "--json", ...more], options);
  return { code: r.code, stderr: r.stderr, view: r.stdout ? JSON.parse(r.stdout) : undefined };
}

/** `run --detach` of python's http.server for BRANCH on `port`, bound to the branch IP (mDNS off). */
function detachedHttpServer(branch: string, project: string, port: number, options: CliOptions) {
  return cli([
    ...runArgs(branch, project, "--detach", "--port", String(port), "--no-mdns", "--"),
    "python3",
    "-u",
    "-m",
    "http.server",
    "{port}",
    "--bind",
    "{ip}",
  ], options);
}

async function answers(url: string): Promise<string> {
  const response = await fetch(url);
  return await response.text();
}

Deno.test({
  name: "a detached http.server: ready, logged, restarted with a new pid, stopped with nothing left",
  ignore: !hasPython,
  fn: async () => {
    const { tmp, options, project } = await setup();
    const port = freePort();
    const pids: number[] = [];
    try {
      const started = await detachedHttpServer("ctrl-py", project, port, options);
      assert.equal(started.code, 0, started.stderr);
      const url = started.stdout.trim();
      assert.match(url, new RegExp(`^http://ctrl-py\\.local:${port}$`));
      const first = await statusJson("ctrl-py", project, options);
      assert.equal(first.view.state, "ready");
      assert.equal(first.view.mode, "detached");
      pids.push(first.view.pid, first.view.wrapper_pid);
      const ip = first.view.ip;
      assert.match(await answers(`http://${ip}:${port}/`), /Directory listing/);
      await waitUntil(
        async () =>
          /GET \/ HTTP/.test(
            (await cli(["logs", "--branch", "ctrl-py", "--project", project], options)).stdout,
          ),
        10_000,
        "the access line in logs",
      );
      assert.equal((Deno.statSync(first.view.log).mode ?? 0) & 0o777, 0o600);
      const twice = await cli([
        ...runArgs("ctrl-py", project, "--detach", "--port", String(port), "--no-mdns", "--"),
        "python3",
        "-m",
        "http.server",
        "{port}",
      ], options);
      assert.equal(twice.code, 7, "the port is the running server's");
      assert.match(twice.stderr, /already in use by pid/);
      assert.doesNotMatch(twice.stderr, /GET \/ HTTP/, "only this start's lines, not the running server's");

      const restarted = await cli(["restart", "--branch", "ctrl-py", "--project", project], options);
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.equal(restarted.stdout.trim(), url);
      const second = await statusJson("ctrl-py", project, options);
      assert.equal(second.view.state, "ready");
      assert.notEqual(second.view.pid, first.view.pid);
      assert.equal(second.view.wrapper_pid, first.view.wrapper_pid);
      assert.equal(second.view.restarts, 1);
      pids.push(second.view.pid);
      assert.ok(isGone(first.view.pid));
      assert.match(await answers(`http://${ip}:${port}/`), /Directory listing/);

      const stopped = await cli(["stop", "--branch", "ctrl-py", "--project", project], options);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, /stopped ctrl-py \(default\)/);
      assert.ok(pids.every(isGone), "no process left");
      const after = await statusJson("ctrl-py", project, options);
      assert.equal(after.view.state, "stopped");
      const again = await cli(["stop", "--branch", "ctrl-py", "--project", project], options);
      assert.equal(again.code, 0, "stopping a stopped run is not an error");
      assert.match(again.stderr, /ctrl-py \(default\) was not running \(stopped\)/);
      assert.ok(Deno.statSync(first.view.log).isFile, "the log is kept");
    } finally {
      killAll(pids);
      await tmp.cleanup();
    }
  },
});

Deno.test("two runs on one branch are listed with their own pids; stopping one leaves the other", async () => {
  const { tmp, options, project } = await setup();
  const [webPort, apiPort] = [freePort(), freePort()];
  const pids: number[] = [];
  try {
    for (const [service, port] of [["web", webPort], ["api", apiPort]] as const) {
      const r = await cli([
        ...runArgs(
          "ctrl-two",
          project,
          "--detach",
          "--service",
          service,
          "--port",
          String(port),
          "--no-mdns",
          "--",
        ),
        ...SERVER_CMD,
      ], options);
      assert.equal(r.code, 0, r.stderr);
    }
    const all = JSON.parse((await cli(["status", "--all", "--json"], options)).stdout);
    assert.deepEqual(all.map((v: { service: string; state: string }) => [v.service, v.state]), [[
      "api",
      "ready",
    ], ["web", "ready"]]);
    for (const v of all) pids.push(v.pid, v.wrapper_pid);
    assert.notEqual(all[0].pid, all[1].pid);
    const list = await cli(["list", "--project", project], options);
    assert.match(list.stdout, new RegExp(`ctrl-two \\(api\\) .* ${apiPort} +http:\\S+ +RUNNING`));
    assert.match(list.stdout, new RegExp(`ctrl-two +.* ${webPort} +http:\\S+ +RUNNING`));
    // Several runs: the service must be named.
    const ambiguous = await cli(["status", "--branch", "ctrl-two", "--project", project], options);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /--service/);

    const stop = await cli(
      ["stop", "--branch", "ctrl-two", "--project", project, "--service", "api"],
      options,
    );
    assert.equal(stop.code, 0, stop.stderr);
    const web = await statusJson("ctrl-two", project, options, "--service", "web");
    assert.equal(web.view.state, "ready");
    assert.ok(!isGone(web.view.pid));
    const beat = web.view.uptime_ms;
    assert.ok(beat >= 0);
    const listJson = JSON.parse((await cli(["list", "--project", project, "--json"], options)).stdout);
    assert.equal(listJson[0].pid, web.view.pid, "the allocation names the remaining server");
    const doctor = JSON.parse((await cli(["doctor", "--json"], options)).stdout);
    const bad = doctor.checks.filter((c: { id: string; status: string }) =>
      ["runs", "cleanup", "announcers"].includes(c.id) && c.status === "fail"
    );
    assert.deepEqual(bad, []);
    await cli(["stop", "--all"], options);
    await waitGone(pids);
  } finally {
    killAll(pids);
    await tmp.cleanup();
  }
});

Deno.test("a foreground run is restarted from another directory with --branch, and serves its lines", async () => {
  const { tmp, options, project } = await setup();
  const port = freePort();
  const pidfile = `${tmp.path}/pid`;
  const run = startCli([
    ...runArgs("ctrl-fg", project, "--port", String(port), "--no-mdns", "--"),
    ...SERVER_CMD,
    "--pidfile",
    pidfile,
  ], options);
  const pids: number[] = [];
  try {
    const first = await readPid(pidfile);
    pids.push(first);
    const elsewhere = `${tmp.path}/elsewhere`;
    Deno.mkdirSync(elsewhere);
    const wait = await cli([
      "status",
      "--branch",
      "ctrl-fg",
      "--project",
      project,
      "--wait",
      "--timeout",
      "20",
    ], { ...options, cwd: elsewhere });
    assert.equal(wait.code, 0, wait.stderr);
    Deno.removeSync(pidfile);
    const restarted = await cli(["restart", "--branch", "ctrl-fg", "--project", project, "--json"], {
      ...options,
      cwd: elsewhere,
    });
    assert.equal(restarted.code, 0, restarted.stderr);
    const second = await readPid(pidfile);
    pids.push(second);
    assert.notEqual(second, first);
    assert.ok(isGone(first));
    assert.equal(JSON.parse(restarted.stdout).state, "ready");
    const logs = await cli(["logs", "--branch", "ctrl-fg", "--project", project, "-n", "50"], {
      ...options,
      cwd: elsewhere,
    });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /listening/i);
    const live = await cli(["status", "--branch", "ctrl-fg", "--project", project], options);
    assert.match(live.stdout, /^Log: +in the wrapper's memory/m);
    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 143);
    const ended = await cli(["status", "--branch", "ctrl-fg", "--project", project], options);
    assert.match(ended.stdout, /^Log: +- \(a terminal run's lines went with its wrapper\)$/m);
  } finally {
    await run.ensureDead();
    killAll(pids);
    await tmp.cleanup();
  }
});

Deno.test("a command that never listens: run --detach --ready-timeout 2 fails with its output and leaves nothing", async () => {
  const { tmp, options, project } = await setup();
  const pidfile = `${tmp.path}/pid`;
  try {
    const r = await cli([
      ...runArgs("ctrl-never", project, "--detach", "--ready-timeout", "2", "--no-mdns", "--"),
      "sh",
      "-c",
      `echo $$ > ${pidfile}; echo warming up forever; exec sleep 60`,
    ], options);
    assert.equal(r.code, 11, r.stderr);
    assert.match(r.stderr, /warming up forever/);
    assert.ok(isGone(await readPid(pidfile)));
    const s = await statusJson("ctrl-never", project, options);
    assert.equal(s.view.state, "stopped");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("status --wait --timeout 2 on a server still starting times out with exit 11", async () => {
  const { tmp, options, project } = await setup();
  const pidfile = `${tmp.path}/pid`;
  const run = startCli([
    ...runArgs("ctrl-slow", project, "--no-mdns", "--"),
    "sh",
    "-c",
    `echo $$ > ${pidfile}; exec sleep 60`,
  ], options);
  let pid: number | undefined;
  try {
    pid = await readPid(pidfile);
    await waitUntil(
      async () => (await statusJson("ctrl-slow", project, options)).code === 0,
      10_000,
      "the run record",
    );
    const waited = await statusJson("ctrl-slow", project, options, "--wait", "--timeout", "2");
    assert.equal(waited.code, 11);
    assert.equal(waited.view.state, "starting");
    assert.match(waited.stderr, /not ready after 2s/);
  } finally {
    try {
      Deno.kill(run.pid, "SIGTERM");
    } catch { /* gone */ }
    await run.status;
    killAll([pid]);
    await tmp.cleanup();
  }
});

Deno.test("a SIGKILLed wrapper: the watchdog ends the server, status says stopped and the socket goes", async () => {
  const { tmp, options, project } = await setup();
  const port = freePort();
  const pids: number[] = [];
  try {
    const r = await cli([
      ...runArgs("ctrl-kill", project, "--detach", "--port", String(port), "--no-mdns", "--"),
      ...SERVER_CMD,
    ], options);
    assert.equal(r.code, 0, r.stderr);
    const { view } = await statusJson("ctrl-kill", project, options);
    pids.push(view.pid, view.wrapper_pid);
    // Malformed and oversized requests on the live socket: error replies, the wrapper keeps serving.
    assert.match(await rawControlRequest(view.socket, new TextEncoder().encode("{nope\n")), /not JSON/);
    assert.match(await rawControlRequest(view.socket, new Uint8Array(20_000).fill(97)), /too large/);
    assert.match(
      await rawControlRequest(view.socket, new TextEncoder().encode('{"op":"run","cmd":"id"}\n')),
      /unknown request/,
    );
    assert.equal((await statusJson("ctrl-kill", project, options)).view.state, "ready");

    Deno.kill(view.wrapper_pid, "SIGKILL");
    await waitGone([view.pid, view.wrapper_pid]);
    const after = await statusJson("ctrl-kill", project, options);
    assert.equal(after.view.state, "stopped");
    assert.match(after.view.reason, /wrapper \(pid \d+\) is gone/);
    assert.throws(() => Deno.lstatSync(view.socket), Deno.errors.NotFound);
  } finally {
    killAll(pids);
    await tmp.cleanup();
  }
});

Deno.test("a SIGSTOPped wrapper: status says it does not answer, restart and stop fail with 21 at once", async () => {
  const { tmp, options, project } = await setup();
  const port = freePort();
  const pids: number[] = [];
  let stopped: number | undefined;
  try {
    const r = await cli([
      ...runArgs("ctrl-stopped", project, "--detach", "--port", String(port), "--no-mdns", "--"),
      ...SERVER_CMD,
    ], options);
    assert.equal(r.code, 0, r.stderr);
    const { view } = await statusJson("ctrl-stopped", project, options);
    assert.equal(view.answers, true);
    pids.push(view.pid, view.wrapper_pid);
    stopped = view.wrapper_pid;
    Deno.kill(view.wrapper_pid, "SIGSTOP");
    const s = await statusJson("ctrl-stopped", project, options);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.view.state, "ready", "the record's word is kept");
    assert.equal(s.view.answers, false);
    assert.match(s.view.reason, /does not answer its control socket/);
    const human = await cli(["status", "--branch", "ctrl-stopped", "--project", project], options);
    assert.match(human.stdout, /State: +ready \(the wrapper \(pid \d+\) does not answer/);
    const all = await cli(["status", "--all"], options);
    assert.match(all.stdout, /ctrl-stopped .*ready \(not answering\)/);
    for (const command of ["restart", "stop"]) {
      const c = await cli([command, "--branch", "ctrl-stopped", "--project", project], options);
      assert.equal(c.code, 21, `${command}: ${c.stderr}`);
      assert.match(c.stderr, /does not answer its control socket/);
      assert.match(c.stderr, new RegExp(`kill -CONT ${view.wrapper_pid}`));
    }
    Deno.kill(view.wrapper_pid, "SIGCONT");
    stopped = undefined;
    assert.equal((await statusJson("ctrl-stopped", project, options)).view.answers, true);
    const stop = await cli(["stop", "--branch", "ctrl-stopped", "--project", project], options);
    assert.equal(stop.code, 0, stop.stderr);
    await waitGone([view.pid, view.wrapper_pid]);
  } finally {
    if (stopped !== undefined) Deno.kill(stopped, "SIGCONT");
    killAll(pids);
    await tmp.cleanup();
  }
});

Deno.test("a runtime directory open to others is refused: the run works without a socket and says so", async () => {
  const { tmp, options, project } = await setup();
  const open = `${tmp.path}/open`;
  Deno.mkdirSync(open);
  Deno.chmodSync(open, 0o777);
  const port = freePort();
  const pidfile = `${tmp.path}/pid`;
  const run = startCli([
    ...runArgs("ctrl-open", project, "--port", String(port), "--no-mdns", "--"),
    ...SERVER_CMD,
    "--pidfile",
    pidfile,
  ], { ...options, env: { ...options.env, TREEHOUSE_RUNTIME_DIR: open } });
  let pid: number | undefined;
  try {
    await run.waitStderr(/No control socket.*open to other users/);
    pid = await readPid(pidfile);
    const restart = await cli(["restart", "--branch", "ctrl-open", "--project", project], options);
    assert.notEqual(restart.code, 0);
    Deno.kill(run.pid, "SIGTERM");
    await run.status;
  } finally {
    await run.ensureDead();
    killAll([pid]);
    await tmp.cleanup();
  }
});

Deno.test("a detached server that exits at once: its code and last lines, status crashed, --wait exit 20", async () => {
  const { tmp, options, project } = await setup();
  try {
    const r = await cli([
      ...runArgs("ctrl-crash", project, "--detach", "--no-mdns", "--"),
      "sh",
      "-c",
      "echo cannot bind >&2; exit 3",
    ], options);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot bind/);
    const s = await statusJson("ctrl-crash", project, options);
    assert.equal(s.view.state, "crashed");
    assert.equal(s.view.exit_code, 3);
    assert.equal(s.view.signal, null);
    assert.equal(s.view.reason, "the server exited with code 3");
    const human = await cli(["status", "--branch", "ctrl-crash", "--project", project], options);
    assert.match(human.stdout, /State: +crashed \(the server exited with code 3\)/);
    const waited = await statusJson("ctrl-crash", project, options, "--wait", "--timeout", "2");
    assert.equal(waited.code, 20);
    const restart = await cli(["restart", "--branch", "ctrl-crash", "--project", project], options);
    assert.equal(restart.code, 20);

    const killed = await cli([
      ...runArgs("ctrl-crash-kill", project, "--detach", "--no-mdns", "--"),
      "sh",
      "-c",
      "kill -KILL $$",
    ], options);
    assert.equal(killed.code, 137, killed.stderr);
    const k = await statusJson("ctrl-crash-kill", project, options);
    assert.equal(k.view.state, "crashed");
    assert.equal(k.view.exit_code, null);
    assert.equal(k.view.signal, "SIGKILL");
    assert.equal(k.view.reason, "the server was killed by SIGKILL");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test({
  name: "logs -f follows a detached run's new lines and ends when the run stops",
  ignore: !hasPython,
  fn: async () => {
    const { tmp, options, project } = await setup();
    const port = freePort();
    let follow: ReturnType<typeof startCli> | undefined;
    const pids: number[] = [];
    try {
      const started = await detachedHttpServer("ctrl-follow", project, port, options);
      assert.equal(started.code, 0, started.stderr);
      const { view } = await statusJson("ctrl-follow", project, options);
      pids.push(view.pid, view.wrapper_pid);
      follow = startCli(["logs", "--branch", "ctrl-follow", "--project", project, "-f"], options);
      // The line is in the printed tail or followed after it, whichever comes first.
      await answers(`http://${view.ip}:${port}/followed`);
      await waitUntil(() => /GET \/followed/.test(follow!.stdout()), 10_000, "the followed access line");
      assert.equal((await cli(["stop", "--branch", "ctrl-follow", "--project", project], options)).code, 0);
      assert.equal(await follow.status, 0);
    } finally {
      await follow?.ensureDead();
      killAll(pids);
      await tmp.cleanup();
    }
  },
});

Deno.test("restart of a server that never answers its ready target returns after --ready-timeout, with a new pid", async () => {
  const { tmp, options, project } = await setup();
  const pidfile = `${tmp.path}/pid`;
  const run = startCli([
    ...runArgs("ctrl-deaf", project, "--no-mdns", "--ready-timeout", "1", "--"),
    "sh",
    "-c",
    `echo $$ > ${pidfile}; exec sleep 60`,
  ], options);
  const pids: number[] = [];
  try {
    pids.push(await readPid(pidfile));
    await waitUntil(
      async () => (await statusJson("ctrl-deaf", project, options)).code === 0,
      10_000,
      "the record",
    );
    Deno.removeSync(pidfile);
    const restarted = await cli(
      ["restart", "--branch", "ctrl-deaf", "--project", project, "--json"],
      options,
    );
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal(JSON.parse(restarted.stdout).state, "starting");
    pids.push(await readPid(pidfile));
    assert.notEqual(pids[1], pids[0]);
    Deno.kill(run.pid, "SIGTERM");
    await run.status;
    await waitGone(pids);
  } finally {
    await run.ensureDead();
    killAll(pids);
    await tmp.cleanup();
  }
});

Deno.test("without a registry stop --all has nothing to stop (exit 0); an unusable one is reported by status --all", async () => {
  const { tmp, options } = await setup();
  try {
    const none = { ...options, db: `${tmp.path}/none.db` };
    const stopped = await cli(["stop", "--all"], none);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /No runs to stop/);
    assert.equal((await cli(["stop", "--all", "--json"], none)).stdout.trim(), "[]");
    await assert.rejects(Deno.stat(`${tmp.path}/none.db`), Deno.errors.NotFound);
    await Deno.writeTextFile(`${tmp.path}/bad.db`, "not a registry\n");
    const bad = await cli(["status", "--all"], { ...options, db: `${tmp.path}/bad.db` });
    assert.equal(bad.code, 6, "not hidden as no runs");
    assert.match(bad.stderr, /not a treehouse registry/);
  } finally {
    await tmp.cleanup();
  }
});
