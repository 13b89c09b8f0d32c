/**
 * `treehouse run` on a terminal (tmux gives it a real pseudo-terminal and an interactive shell): the
 * command keeps the terminal (stdin is a TTY, /dev/tty opens), Ctrl-C reaches it exactly once,
 * Ctrl-Z stops it and `fg` resumes it, as without the wrapper.
 */
import assert from "node:assert/strict";
import { shellQuote } from "../src/cli/output.ts";
import { childEnv, MAIN, tempDir } from "./helpers.ts";
import { freePort, killAll, readPid, SERVER, waitGone, waitUntil } from "./fixtures/harness.ts";

const hasTmux = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

async function tmux(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, "-f", "/dev/null", ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout);
}

/** The state letter of a process (`S` sleeping, `T` stopped…), or undefined when gone. */
function stateOf(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

Deno.test({
  name: `run on a terminal keeps it for the command: TTY stdin, /dev/tty, Ctrl-C once, Ctrl-Z and fg${
    hasTmux ? "" : " (skipped: tmux not installed)"
  }`,
  ignore: !hasTmux || Deno.build.os !== "linux",
  fn: async () => {
    const tmp = await tempDir();
    const socket = `treehouse-test-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const port = freePort();
    const files = {
      tty: `${tmp.path}/tty`,
      sig: `${tmp.path}/signals`,
      pid: `${tmp.path}/pid`,
      exit: `${tmp.path}/exit`,
    };
    const env = childEnv({ db: `${tmp.path}/r.db` });
    const envArgs = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`)).join(" ");
    const command = [
      "exec",
      "env",
      "-i",
      envArgs,
      shellQuote(Deno.execPath()),
      "run",
      "-A",
      "--quiet",
      shellQuote(MAIN),
      "run",
      "--branch",
      "tty",
      "--project",
      shellQuote(tmp.path),
      "--port",
      String(port),
      "--no-mdns",
      "--",
      shellQuote(Deno.execPath()),
      "run",
      "-A",
      "--quiet",
      shellQuote(SERVER),
      "--tty",
      shellQuote(files.tty),
      "--on-signal",
      shellQuote(files.sig),
      "--pidfile",
      shellQuote(files.pid),
    ].join(" ");
    let child: number | undefined;
    try {
      await tmux(
        socket,
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "200",
        "-y",
        "50",
        "bash --norc --noprofile -i",
      );
      // A script keeps the typed line short; `exec` makes the wrapper itself the shell's job.
      await Deno.writeTextFile(`${tmp.path}/run.sh`, `${command}\n`);
      await tmux(socket, "send-keys", "-t", "t", "-l", `bash ${shellQuote(`${tmp.path}/run.sh`)}`);
      await tmux(socket, "send-keys", "-t", "t", "Enter");
      child = await readPid(files.pid);
      await waitUntil(
        () => {
          try {
            return Deno.readTextFileSync(files.tty).length > 0;
          } catch {
            return false;
          }
        },
        20_000,
        "the command's terminal report",
      );
      assert.deepEqual(JSON.parse(Deno.readTextFileSync(files.tty)), { stdin: true, devTty: true });

      const pid = child;
      await tmux(socket, "send-keys", "-t", "t", "C-z");
      await waitUntil(() => stateOf(pid) === "T", 10_000, "Ctrl-Z to stop the command");
      await tmux(socket, "send-keys", "-t", "t", "-l", "fg");
      await tmux(socket, "send-keys", "-t", "t", "Enter");
      await waitUntil(() => stateOf(pid) !== "T", 10_000, "fg to resume the command");

      await tmux(socket, "send-keys", "-t", "t", "C-c");
      await waitGone([pid]);
      // The shell's $? is the wrapper's exit code once the job is over and the prompt is back.
      await waitUntil(
        async () => /\^C.*[#$]\s*$/s.test((await tmux(socket, "capture-pane", "-p", "-t", "t")).trimEnd()),
        20_000,
        "the shell's prompt",
      );
      await tmux(socket, "send-keys", "-t", "t", "-l", `echo $? > ${shellQuote(files.exit)}`);
      await tmux(socket, "send-keys", "-t", "t", "Enter");
      await waitUntil(
        () => {
          try {
            return Deno.readTextFileSync(files.exit).trim() !== "";
          } catch {
            return false;
          }
        },
        20_000,
        "the wrapper to exit",
      );
      assert.equal(Deno.readTextFileSync(files.exit).trim(), "130");
      assert.equal(Deno.readTextFileSync(files.sig), "SIGINT\n", "Ctrl-C reached the command exactly once");
      await waitGone([pid]);
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nterminal:\n${await tmux(socket, "capture-pane", "-p", "-t", "t")}`,
      );
    } finally {
      await tmux(socket, "kill-server");
      killAll([child]);
      await tmp.cleanup();
    }
  },
});

/** The parent pid of `pid`. */
function parentOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

Deno.test({
  name: `run on a terminal: a SIGKILLed wrapper's watchdog still ends the command${
    hasTmux ? "" : " (skipped: tmux not installed)"
  }`,
  ignore: !hasTmux || Deno.build.os !== "linux",
  fn: async () => {
    const tmp = await tempDir();
    const socket = `treehouse-test-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const pidfile = `${tmp.path}/pid`;
    const grandfile = `${tmp.path}/grandchild`;
    const env = childEnv({ db: `${tmp.path}/r.db` });
    const command = [
      "exec",
      "env",
      "-i",
      ...Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`)),
      shellQuote(Deno.execPath()),
      "run -A --quiet",
      shellQuote(MAIN),
      `run --branch tty-kill --project ${shellQuote(tmp.path)} --port ${freePort()} --no-mdns --`,
      shellQuote(Deno.execPath()),
      "run -A --quiet",
      shellQuote(SERVER),
      `--pidfile ${shellQuote(pidfile)} --grandchild ${shellQuote(grandfile)}`,
    ].join(" ");
    let child: number | undefined;
    let grandchild: number | undefined;
    try {
      await Deno.writeTextFile(`${tmp.path}/run.sh`, `${command}\n`);
      await tmux(
        socket,
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "200",
        "-y",
        "50",
        "bash --norc --noprofile -i",
      );
      await tmux(socket, "send-keys", "-t", "t", "-l", `bash ${shellQuote(`${tmp.path}/run.sh`)}`);
      await tmux(socket, "send-keys", "-t", "t", "Enter");
      child = await readPid(pidfile);
      grandchild = await readPid(grandfile);
      const wrapper = parentOf(child);
      Deno.kill(wrapper, "SIGKILL");
      await waitGone([wrapper, child, grandchild], 10_000);
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nterminal:\n${await tmux(socket, "capture-pane", "-p", "-t", "t")}`,
      );
    } finally {
      await tmux(socket, "kill-server");
      killAll([child, grandchild]);
      await tmp.cleanup();
    }
  },
});

Deno.test({
  name: `run on a terminal forwards SIGTERM once to the command and its descendants${
    hasTmux ? "" : " (skipped: tmux not installed)"
  }`,
  ignore: !hasTmux || Deno.build.os !== "linux",
  fn: async () => {
    const tmp = await tempDir();
    const socket = `treehouse-test-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const pidfile = `${tmp.path}/pid`;
    const grandfile = `${tmp.path}/grandchild`;
    const seen = `${tmp.path}/signals`;
    const env = childEnv({ db: `${tmp.path}/r.db` });
    const command = [
      "exec",
      "env",
      "-i",
      ...Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`)),
      shellQuote(Deno.execPath()),
      "run -A --quiet",
      shellQuote(MAIN),
      `run --branch tty-term --project ${shellQuote(tmp.path)} --port ${freePort()} --no-mdns --`,
      shellQuote(Deno.execPath()),
      "run -A --quiet",
      shellQuote(SERVER),
      `--pidfile ${shellQuote(pidfile)} --grandchild ${shellQuote(grandfile)} --on-signal ${
        shellQuote(seen)
      }`,
    ].join(" ");
    let child: number | undefined;
    let grandchild: number | undefined;
    try {
      await Deno.writeTextFile(`${tmp.path}/run.sh`, `${command}\n`);
      await tmux(
        socket,
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "200",
        "-y",
        "50",
        "bash --norc --noprofile -i",
      );
      await tmux(socket, "send-keys", "-t", "t", "-l", `bash ${shellQuote(`${tmp.path}/run.sh`)}`);
      await tmux(socket, "send-keys", "-t", "t", "Enter");
      child = await readPid(pidfile);
      grandchild = await readPid(grandfile);
      const wrapper = parentOf(child);
      Deno.kill(wrapper, "SIGTERM");
      await waitGone([wrapper, child, grandchild], 10_000);
      assert.equal(Deno.readTextFileSync(seen), "SIGTERM\n", "the command got SIGTERM exactly once");
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\nterminal:\n${await tmux(socket, "capture-pane", "-p", "-t", "t")}`,
      );
    } finally {
      await tmux(socket, "kill-server");
      killAll([child, grandchild]);
      await tmp.cleanup();
    }
  },
});
