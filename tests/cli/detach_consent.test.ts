/**
 * `run --detach` of a command the project's treehouse.toml brought (issue 15): the question is asked
 * by the `treehouse` the user typed, on their terminal, before the wrapper starts (the wrapper has no
 * terminal); off a terminal it is exit 2 at once, nothing started. Pool 127.0.122.x (this file's own,
 * see SERVER_FILE_POOLS), branches prefixed qa-.
 */
import assert from "node:assert/strict";
import { childEnv, cli, type CliOptions, MAIN, tempDir } from "../helpers/cli.ts";
import { freePort, killAll } from "../helpers/harness.ts";

const has = (tool: string) =>
  new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" }).outputSync().success;
const hasPython = has("python3");
const hasScript = has("script"); // util-linux: runs a command on a pseudo-terminal

async function project() {
  const tmp = await tempDir("treehouse-qa-consent-");
  const port = freePort();
  await Deno.writeTextFile(
    `${tmp.path}/treehouse.toml`,
    `[run]\ncommand = ["python3", "-m", "http.server", "{port}", "--bind", "{ip}"]\nport = ${port}\n`,
  );
  const options: CliOptions = {
    db: `${tmp.path}/data/registry.db`,
    env: { TREEHOUSE_RUNTIME_DIR: `${tmp.path}/rt`, TREEHOUSE_MDNS: "off" },
    cwd: tmp.path, // configuration files are found from the current directory
  };
  const target = ["--branch", "qa-consent", "--project", tmp.path];
  return { tmp, options, target };
}

Deno.test({
  name: "run --detach of an unagreed [run] off a terminal is exit 2 from the parent, with nothing started",
  ignore: !hasPython,
  fn: async () => {
    const { tmp, options, target } = await project();
    try {
      const r = await cli(["run", ...target, "--detach"], options);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        /^treehouse: .*treehouse\.toml \[run\] wants to run a command you have not agreed to:/,
      );
      assert.match(r.stderr, /^hint: .*--yes/m);
      assert.doesNotMatch(r.stderr, /the detached run exited/, "the parent says it, not a wrapper's log");
      const status = await cli(["status", ...target], options);
      assert.equal(status.code, 3, "no run was started");
    } finally {
      await cli(["stop", "--all"], options);
      await tmp.cleanup();
    }
  },
});

Deno.test({
  name: "run --detach of an unagreed [run] on a terminal asks, and after a yes the run starts",
  ignore: !hasPython || !hasScript,
  fn: async () => {
    const { tmp, options, target } = await project();
    const pids: number[] = [];
    try {
      const words = [Deno.execPath(), "run", "-A", "--quiet", MAIN, "run", ...target, "--detach"];
      const quoted = words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
      const child = new Deno.Command("script", {
        args: ["-qec", quoted, "/dev/null"],
        env: childEnv(options),
        clearEnv: true,
        cwd: tmp.path,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("y\n"));
      await writer.close();
      const out = await child.output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, text);
      assert.match(text, /Run it\? \[y\/N\]/);
      assert.match(text, /http:\/\/qa-consent\.local:\d+/);
      const view = JSON.parse((await cli(["status", ...target, "--json"], options)).stdout);
      pids.push(view.pid, view.wrapper_pid);
      assert.equal(view.state, "ready");
    } finally {
      await cli(["stop", "--all"], options);
      killAll(pids);
      await tmp.cleanup();
    }
  },
});
