/**
 * `treehouse run` on a terminal (tmux gives it a real pseudo-terminal and an interactive shell): the
 * command keeps the terminal (stdin is a TTY, /dev/tty opens), Ctrl-C reaches it exactly once,
 * Ctrl-Z stops it and `fg` resumes it, as without the wrapper.
 */
import assert from "node:assert/strict";
import { shellQuote } from "../../../src/cli/output.ts";
import { childEnv, tempDir } from "../../helpers/cli.ts";
import { freePort, killAll, readPid, SERVER, waitGone, waitUntil } from "../../helpers/harness.ts";
import { hasTmux, newSession, tmux, tmuxSocket, treehouseWords } from "../../helpers/tmux.ts";

/** A tmux session whose interactive shell runs `treehouse run` as its job. */
interface Terminal {
  /** Sends tmux key names (`C-c`, `Enter`…). */
  keys(...keys: string[]): Promise<void>;
  /** Types `text` and presses Enter. */
  type(text: string): Promise<void>;
  screen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a terminal running `treehouse run --branch BRANCH … -- <server fixture> …serverArgs` with a temp
 * registry in `dir`. A script keeps the typed line short; `exec` makes the wrapper itself the shell's job.
 */
async function runOnTerminal(
  dir: string,
  branch: string,
  serverArgs: string[],
  background = false,
): Promise<Terminal> {
  const socket = tmuxSocket("treehouse-test");
  const env = childEnv({ db: `${dir}/r.db` });
  const command = [
    `exec ${treehouseWords(env)}`,
    `run --branch ${branch} --project ${shellQuote(dir)} --port ${freePort()} --no-mdns --`,
    shellQuote(Deno.execPath()),
    "run -A --quiet",
    shellQuote(SERVER),
    ...serverArgs.map(shellQuote),
  ].join(" ");
  await Deno.writeTextFile(`${dir}/run.sh`, `${command}\n`);
  await newSession(socket);
  const terminal: Terminal = {
    keys: async (...keys) => void await tmux(socket, "send-keys", "-t", "t", ...keys),
    type: async (text) => {
      await tmux(socket, "send-keys", "-t", "t", "-l", text);
      await terminal.keys("Enter");
    },
    screen: () => tmux(socket, "capture-pane", "-p", "-t", "t"),
    close: async () => void await tmux(socket, "kill-server"),
  };
  await terminal.type(`bash ${shellQuote(`${dir}/run.sh`)}${background ? " &" : ""}`);
  return terminal;
}

/** Runs `fn`; a failure carries what the terminal shows. */
async function showingScreen(terminal: Terminal, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    throw new Error(`${(error as Error).message}\nterminal:\n${await terminal.screen()}`);
  }
}

/** Waits until `path` exists with some text in it. */
function untilFileHasText(path: string, what: string): Promise<void> {
  return waitUntil(
    () => {
      try {
        return Deno.readTextFileSync(path).trim() !== "";
      } catch {
        return false;
      }
    },
    20_000,
    what,
  );
}

/** The parent pid of `pid`. */
function parentOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/**
 * Waits until the watchdog `sh` started by `wrapper` (its child, named `treehouse-watchdog`) is running
 * with `child` among its targets (the first target is one of its arguments), so a SIGKILL of the wrapper
 * from now on is the case under test and not a race with the watchdog's start.
 */
async function watchdogArmed(wrapper: number, child: number): Promise<void> {
  await waitUntil(
    () => {
      for (const entry of Deno.readDirSync("/proc")) {
        if (!/^\d+$/.test(entry.name)) continue;
        try {
          const pid = Number(entry.name);
          if (parentOf(pid) !== wrapper) continue;
          const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
          if (
            argv.includes("treehouse-watchdog") && argv.some((a) => a === `${child}` || a === `-${child}`)
          ) {
            return true;
          }
        } catch { /* gone meanwhile */ }
      }
      return false;
    },
    20_000,
    `the watchdog of wrapper ${wrapper} to watch ${child}`,
  );
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

const skipNote = hasTmux ? "" : " (skipped: tmux not installed)";
const noTerminal = !hasTmux || Deno.build.os !== "linux";

Deno.test({
  name:
    `run on a terminal keeps it for the command: TTY stdin, /dev/tty, Ctrl-C once, Ctrl-Z and fg${skipNote}`,
  ignore: noTerminal,
  fn: async () => {
    const tmp = await tempDir();
    const files = {
      tty: `${tmp.path}/tty`,
      sig: `${tmp.path}/signals`,
      pid: `${tmp.path}/pid`,
      exit: `${tmp.path}/exit`,
    };
    const terminal = await runOnTerminal(tmp.path, "tty", [
      "--tty",
      files.tty,
      "--on-signal",
      files.sig,
      "--pidfile",
      files.pid,
    ]);
    let child: number | undefined;
    try {
      await showingScreen(terminal, async () => {
        child = await readPid(files.pid);
        await untilFileHasText(files.tty, "the command's terminal report");
        assert.deepEqual(JSON.parse(Deno.readTextFileSync(files.tty)), { stdin: true, devTty: true });

        const pid = child;
        await terminal.keys("C-z");
        await waitUntil(() => stateOf(pid) === "T", 10_000, "Ctrl-Z to stop the command");
        await terminal.type("fg");
        await waitUntil(() => stateOf(pid) !== "T", 10_000, "fg to resume the command");

        await terminal.keys("C-c");
        await waitGone([pid]);
        // The shell's $? is the wrapper's exit code once the job is over and the prompt is back.
        await waitUntil(
          async () => /\^C.*[#$]\s*$/s.test((await terminal.screen()).trimEnd()),
          20_000,
          "the shell's prompt",
        );
        await terminal.type(`echo $? > ${shellQuote(files.exit)}`);
        await untilFileHasText(files.exit, "the wrapper to exit");
        assert.equal(Deno.readTextFileSync(files.exit).trim(), "130");
        assert.equal(Deno.readTextFileSync(files.sig), "SIGINT\n", "Ctrl-C reached the command exactly once");
        await waitGone([pid]);
      });
    } finally {
      await terminal.close();
      killAll([child]);
      await tmp.cleanup();
    }
  },
});

for (
  const [signal, what] of [
    ["SIGKILL", "a SIGKILLed wrapper's watchdog still ends the command"],
    ["SIGTERM", "forwards SIGTERM once to the command and its descendants"],
  ] as const
) {
  Deno.test({
    name: `run on a terminal${signal === "SIGKILL" ? ":" : ""} ${what}${skipNote}`,
    ignore: noTerminal,
    fn: async () => {
      const tmp = await tempDir();
      const pidfile = `${tmp.path}/pid`;
      const grandfile = `${tmp.path}/grandchild`;
      const seen = `${tmp.path}/signals`;
      const terminal = await runOnTerminal(tmp.path, `tty-${signal.toLowerCase()}`, [
        "--pidfile",
        pidfile,
        "--grandchild",
        grandfile,
        "--on-signal",
        seen,
      ]);
      let child: number | undefined;
      let grandchild: number | undefined;
      try {
        await showingScreen(terminal, async () => {
          child = await readPid(pidfile);
          grandchild = await readPid(grandfile);
          const wrapper = parentOf(child);
          // The watchdog must have its orders before the wrapper dies: wait until it has read them.
          if (signal === "SIGKILL") await watchdogArmed(wrapper, child);
          Deno.kill(wrapper, signal);
          await waitGone([wrapper, child, grandchild], 10_000);
          if (signal === "SIGTERM") {
            assert.equal(Deno.readTextFileSync(seen), "SIGTERM\n", "the command got SIGTERM exactly once");
          }
        });
      } finally {
        await terminal.close();
        killAll([child, grandchild]);
        await tmp.cleanup();
      }
    },
  });
}

Deno.test({
  name: `run on a terminal, as a background job: a SIGINT sent with kill reaches the command once${skipNote}`,
  ignore: noTerminal,
  fn: async () => {
    const tmp = await tempDir();
    const pidfile = `${tmp.path}/pid`;
    const seen = `${tmp.path}/signals`;
    const terminal = await runOnTerminal(tmp.path, "s1-tty-kill-int", [
      "--pidfile",
      pidfile,
      "--on-signal",
      seen,
    ], true);
    let child: number | undefined;
    try {
      await showingScreen(terminal, async () => {
        child = await readPid(pidfile);
        const wrapper = parentOf(child);
        Deno.kill(wrapper, "SIGINT");
        await waitGone([wrapper, child], 10_000);
        assert.equal(Deno.readTextFileSync(seen), "SIGINT\n", "the command got SIGINT exactly once");
      });
    } finally {
      await terminal.close();
      killAll([child]);
      await tmp.cleanup();
    }
  },
});
