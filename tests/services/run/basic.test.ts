/** `treehouse run`: real servers on branch IPs, placeholders, exit codes, start failures, port conflicts. */
import assert from "node:assert/strict";
import { cli, tempDir } from "../../helpers/cli.ts";
import {
  freePort,
  getJson,
  registryRow,
  runArgs,
  SERVER_CMD,
  serverRunArgs,
  startCli,
  waitGone,
} from "../../helpers/harness.ts";

Deno.test("run serves two branches on the same port at once, each on its own IP with its own names", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const port = freePort();
  const common = ["--project", tmp.path, "--port", String(port), "--no-mdns", "--ready", String(port)];
  const a = startCli(["run", "--branch", "feature/a", ...common, "--", ...SERVER_CMD], { db });
  const b = startCli(["run", "--branch", "feature/b", ...common, "--", ...SERVER_CMD], { db });
  try {
    await a.waitStderr(/ready at/);
    await b.waitStderr(/ready at/);
    const rowA = await registryRow(db, "feature/a");
    const rowB = await registryRow(db, "feature/b");
    assert.ok(rowA && rowB);
    assert.notEqual(rowA.ip, rowB.ip);
    const answerA = await getJson(`http://${rowA.ip}:${port}/`);
    const answerB = await getJson(`http://${rowB.ip}:${port}/`);
    assert.equal(answerA.branch, "feature/a");
    assert.equal(answerB.branch, "feature/b");
    assert.equal(answerA.ip, rowA.ip);
    assert.equal(answerA.envHost, rowA.ip);
    assert.equal(answerA.envPort, String(port));
    assert.equal(answerA.db, rowA.db_name);
    assert.equal(answerB.db, rowB.db_name);
    assert.notEqual(answerA.db, answerB.db);
    assert.equal(answerA.host, "feature-a.local");
    assert.equal(answerA.url, `http://feature-a.local:${port}`);
    assert.equal(rowA.pid, answerA.pid);
    assert.equal(rowA.port, port);
    assert.match(a.stderr(), /Branch\s+feature\/a/);
    assert.match(a.stderr(), /Database\s+\S+_dev_feature_a/);

    const info = await cli(["info", "feature/a", "--project", tmp.path, "--json"], { db });
    assert.equal(JSON.parse(info.stdout).running, true);
    const list = await cli(["list", "--project", tmp.path], { db });
    assert.match(list.stdout, /feature\/a .*RUNNING/);

    Deno.kill(a.pid, "SIGTERM");
    Deno.kill(b.pid, "SIGTERM");
    assert.equal(await a.status, 143);
    assert.equal(await b.status, 143);
    await waitGone([Number(answerA.pid), Number(answerB.pid)]);
    const after = await registryRow(db, "feature/a");
    assert.equal(after?.pid, null, "the pid is cleared on exit");
    assert.equal(after?.ip, rowA.ip, "the allocation stays (sticky IP)");
    const listAfter = await cli(["list", "--project", tmp.path, "--json"], { db });
    assert.deepEqual(JSON.parse(listAfter.stdout).map((v: { running: boolean }) => v.running), [
      false,
      false,
    ]);
  } finally {
    await a.ensureDead();
    await b.ensureDead();
    await tmp.cleanup();
  }
});

const hasPython = (() => {
  try {
    return new Deno.Command("python3", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: `run replaces placeholders so a Python http.server answers on the branch IP${
    hasPython ? "" : " (skipped: python3 not installed)"
  }`,
  ignore: !hasPython,
  fn: async () => {
    const tmp = await tempDir();
    const db = `${tmp.path}/r.db`;
    const port = freePort();
    await Deno.writeTextFile(`${tmp.path}/hello.txt`, "hello from the branch\n");
    const run = startCli([
      ...runArgs("py", tmp.path),
      "--port",
      String(port),
      "--no-mdns",
      "--ready",
      String(port),
      "--no-env-port",
      "--",
      "python3",
      "-m",
      "http.server",
      "{port}",
      "--bind",
      "{ip}",
      "--directory",
      tmp.path,
    ], { db, cwd: tmp.path });
    try {
      await run.waitStderr(/ready at/);
      const row = await registryRow(db, "py");
      const response = await fetch(`http://${row?.ip}:${port}/hello.txt`);
      assert.equal(await response.text(), "hello from the branch\n");
      assert.match(run.stderr(), new RegExp(`Command\\s+python3 -m http.server ${port} --bind ${row?.ip}`));
      Deno.kill(run.pid, "SIGINT");
      const code = await run.status;
      assert.ok(code === 130 || code === 0 || code === 1, `python's exit after SIGINT, got ${code}`);
      await waitGone([Number(row?.pid)]);
    } finally {
      await run.ensureDead();
      await tmp.cleanup();
    }
  },
});

Deno.test("run exits with the command's code: 0, 7, and 128+N when signal N killed it", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  try {
    const base = ["run", "--branch", "codes", "--project", tmp.path, "--no-mdns", "--quiet", "--"];
    assert.equal((await cli([...base, ...SERVER_CMD, "--exit", "0"], { db })).code, 0);
    assert.equal((await cli([...base, ...SERVER_CMD, "--exit", "7"], { db })).code, 7);
    assert.equal((await cli([...base, ...SERVER_CMD, "--signal", "SIGTERM"], { db })).code, 143);
    assert.equal((await cli([...base, ...SERVER_CMD, "--signal", "SIGKILL"], { db })).code, 137);
    const row = await registryRow(db, "codes");
    assert.equal(row?.pid, null);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("run reports a missing command with exit 127 and leaves the allocation without a process", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  try {
    const result = await cli(
      ["run", "--branch", "nope", "--project", tmp.path, "--no-mdns", "--", "treehouse-no-such-command", "x"],
      { db },
    );
    assert.equal(result.code, 127);
    assert.match(result.stderr, /Command not found: treehouse-no-such-command/);
    assert.match(result.stderr, /hint: Is treehouse-no-such-command installed and on your PATH\?/);
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "no stack trace");
    const row = await registryRow(db, "nope");
    assert.equal(row?.pid, null);
    await Deno.writeTextFile(`${tmp.path}/not-executable`, "echo hi\n", { mode: 0o644 });
    const notExec = await cli(
      [
        ...runArgs("nope", tmp.path),
        "--no-mdns",
        "--quiet",
        "--",
        `${tmp.path}/not-executable`,
      ],
      { db },
    );
    assert.equal(notExec.code, 126);
    assert.match(notExec.stderr, /Command is not executable: .*\nhint: Make it executable \(chmod \+x /);
    const dir = await cli([...runArgs("nope", tmp.path), "--no-mdns", "--quiet", "--", tmp.path], { db });
    assert.equal(dir.code, 126);
    assert.match(dir.stderr, /Command is a directory: .*\nhint: Name the program to run/);
    const noCommand = await cli(["run", "--branch", "nope", "--project", tmp.path, "--"], { db });
    assert.equal(noCommand.code, 2);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("run refuses an IP:port already in use and names the holder, also for 0.0.0.0 and :: listeners", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const port = freePort();
  try {
    const ip = (await cli(["ip", "--branch", "busy", "--project", tmp.path], { db })).stdout.trim();
    const base = ["run", "--branch", "busy", "--project", tmp.path, "--port", String(port), "--no-mdns"];
    const specific = Deno.listen({ hostname: ip, port });
    try {
      const result = await cli([...base, "--", ...SERVER_CMD], { db });
      assert.equal(result.code, 7);
      assert.match(
        result.stderr,
        new RegExp(`${ip.replaceAll(".", "\\.")}:${port} is already in use by pid ${Deno.pid} \\([^)]*\\)\n`),
        "the address asked about is not named twice",
      );
      assert.match(result.stderr, /hint: /);
    } finally {
      specific.close();
    }
    const wildcard = Deno.listen({ hostname: "0.0.0.0", port });
    try {
      const result = await cli([...base, "--", ...SERVER_CMD], { db });
      assert.equal(result.code, 7);
      assert.match(result.stderr, new RegExp(`pid ${Deno.pid} \\(.*\\) on 0\\.0\\.0\\.0:${port}`));
      assert.match(result.stderr, /0\.0\.0\.0 or :: takes the port on every loopback IP/);
    } finally {
      wildcard.close();
    }
    let v6: Deno.Listener | undefined;
    try {
      v6 = Deno.listen({ hostname: "::", port });
    } catch {
      Deno.stderr.writeSync(
        new TextEncoder().encode("  (IPv6 is off here: the :: listener case is not checked)\n"),
      );
    }
    if (v6) {
      try {
        const result = await cli([...base, "--", ...SERVER_CMD], { db });
        assert.equal(result.code, 7);
        assert.match(result.stderr, new RegExp(`pid ${Deno.pid} \\(.*\\) on :::${port}`));
      } finally {
        v6.close();
      }
    }
    const row = await registryRow(db, "busy");
    assert.equal(row?.pid, null);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("run passes its environment, HOST and PORT unless --no-env-port, and {placeholders}", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const port = freePort();
  const run = startCli(
    serverRunArgs("env/check", tmp.path, port, ["--no-env-port"], [
      "--host",
      "{ip}",
      "--port",
      "{port}",
      "{branch}|{db}|{host}|{url}|{other}",
    ]),
    { db, env: { PORT: "1234", HOST: "unchanged" } },
  );
  try {
    await run.waitStderr(/ready at/);
    const row = await registryRow(db, "env/check");
    const answer = await getJson(`http://${row?.ip}:${port}/`);
    assert.equal(answer.envPort, "1234");
    assert.equal(answer.envHost, "unchanged");
    assert.equal(answer.port, String(port));
    assert.deepEqual((answer.args as string[]).slice(-1), [
      `env/check|${row?.db_name}|env-check.local|http://env-check.local:${port}|{other}`,
    ]);
    Deno.kill(run.pid, "SIGTERM");
    await run.status;
    await waitGone([Number(answer.pid)]);
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});

Deno.test("a second run of a running branch on the same port is refused as already running", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const port = freePort();
  const args = ["run", "--branch", "twice", "--project", tmp.path, "--port", String(port), "--no-mdns"];
  const first = startCli([...args, "--ready", String(port), "--", ...SERVER_CMD], { db });
  try {
    await first.waitStderr(/ready at/);
    const second = await cli([...args, "--", ...SERVER_CMD], { db });
    assert.equal(second.code, 7);
    assert.match(second.stderr, /is already in use by pid \d+/);
    assert.match(
      second.stderr,
      /hint: This branch's server is already running \(`treehouse status`\): stop it with `treehouse stop`/,
    );
    const row = await registryRow(db, "twice");
    assert.notEqual(row?.pid, null, "the first run's record is untouched");
    Deno.kill(first.pid, "SIGTERM");
    await first.status;
    await waitGone([Number(row?.pid)]);
  } finally {
    await first.ensureDead();
    await tmp.cleanup();
  }
});

Deno.test("run --name gives the run an extra hostname label for its lifetime, kept unique; the branch keeps its own", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  try {
    await cli(["ip", "--branch", "api", "--project", tmp.path], { db });
    await cli(["ip", "--branch", "renamed", "--project", tmp.path], { db });
    const base = ["run", "--branch", "renamed", "--project", tmp.path, "--no-mdns", "--quiet"];
    const result = await cli([...base, "--name", "Web2", "--", ...SERVER_CMD, "--exit", "0"], { db });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await registryRow(db, "renamed"))?.hostname, "renamed");
    assert.equal(await runName(db, "renamed"), "web2");
    // "api" is another branch's label: the run's name is made unique.
    const clash = await cli([...base, "--name", "api", "--", ...SERVER_CMD, "--exit", "0"], { db });
    assert.equal(clash.code, 0, clash.stderr);
    assert.match(String(await runName(db, "renamed")), /^api-/);
    assert.equal((await registryRow(db, "api"))?.hostname, "api");
  } finally {
    await tmp.cleanup();
  }
});

/** The extra name of a branch's (latest) run. */
async function runName(db: string, branch: string): Promise<unknown> {
  const { DatabaseSync } = await import("node:sqlite");
  const handle = new DatabaseSync(db, { readOnly: true });
  try {
    return (handle.prepare(
      "SELECT r.name FROM runs r JOIN allocations a ON a.id = r.allocation_id WHERE a.branch = ?",
    ).get(branch) as { name?: unknown } | undefined)?.name;
  } finally {
    handle.close();
  }
}

Deno.test("run --hosts writes the branch into the hosts file's block and keeps the user's lines", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const hosts = `${tmp.path}/hosts`;
  await Deno.writeTextFile(hosts, "127.0.0.1 localhost\n::1 localhost\n");
  const port = freePort();
  const run = startCli(serverRunArgs("feature/hosts", tmp.path, port, ["--hosts"]), {
    db,
    env: { TREEHOUSE_HOSTS_FILE: hosts },
  });
  try {
    const err = await run.waitStderr(/ready at/);
    assert.match(err, /updated .*hosts \(1 entries\)/);
    const text = await Deno.readTextFile(hosts);
    assert.ok(text.startsWith("127.0.0.1 localhost\n::1 localhost\n"), text);
    assert.match(text, /127\.0\.101\.10\s+feature-hosts\.local/); // the first IP of this file's pool
    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 143);
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});
