/**
 * Control commands (issue 15): status, logs, restart, stop, open. Each acts on one run: the
 * branch (`[BRANCH]`, `--branch`, the cwd's) and `--service` when the branch runs several.
 */
import { buildCommand } from "@stricli/core";
import { branchArg, branchFlags, docs, jsonFlag, negatedInUsage, stringFlag, switchFlag } from "../flags.ts";
import { guard } from "../guard.ts";
import { positiveSeconds } from "../fast-path.ts";

const targetFlags = {
  ...branchFlags,
  ...jsonFlag,
  service: stringFlag("The run's service when the branch runs several (run --service)", "NAME"),
} as const;

/** The exit codes every control command shares, then what exit 20 means for this one (if anything). */
const exitCodes = (twenty?: string) =>
  "Exit codes: 0 ok, 2 usage, 3 no such run, 6 registry unusable, 9 control socket refused, 11 timeout" +
  (twenty ? `, 20 ${twenty}` : "") + ", 21 the wrapper does not answer its control socket (stopped, wedged).";

const status = buildCommand({
  loader: async () => guard((await import("../commands/control/status.ts")).default),
  parameters: {
    flags: {
      ...targetFlags,
      wait: switchFlag(
        "Block until the run is ready (exit 0), ends (exit 20) or --timeout passes (exit 11); a run not started yet, or ended before, is waited for",
      ),
      timeout: {
        kind: "parsed",
        parse: positiveSeconds,
        brief: "Seconds --wait waits (default 60)",
        placeholder: "SECONDS",
        optional: true,
      },
      all: switchFlag("Every run of every project, one line each"),
    },
    positional: branchArg,
  },
  docs: docs(
    "Show a run's state (starting, ready, restarting, crashed, stopped), pid, URL, uptime, restarts and log",
    [
      "treehouse status",
      "treehouse status --wait --timeout 30",
      "treehouse status feature/login --json | jq -r .state",
      "treehouse status --all",
    ],
    "--json is one object with state, pid (the server's own, it changes on restart), wrapper_pid, url, " +
      "restarts, log, mode (detached or terminal), reason, exit_code and signal (how the server last ended), " +
      "answers (the wrapper answered its socket just now; false: it is stopped or wedged). " +
      "A stopped run's status is exit 0. " +
      exitCodes("with --wait, the run ended before it was ready"),
  ),
});

const logs = buildCommand({
  loader: async () => guard((await import("../commands/control/logs.ts")).default),
  parameters: {
    flags: {
      ...targetFlags,
      lines: {
        kind: "parsed",
        parse: (text: string) => {
          if (!/^\d{1,5}$/.test(text)) throw new SyntaxError(`expected a number of lines, got "${text}"`);
          return Number(text);
        },
        brief: "How many of the last lines (default 100)",
        placeholder: "N",
        optional: true,
      },
      follow: switchFlag("Keep printing new lines until the run ends or Ctrl-C"),
    },
    aliases: { n: "lines", f: "follow" },
    positional: branchArg,
  },
  docs: docs(
    "Print a run's last output lines (a detached run's log file, or a terminal run's recent lines)",
    ["treehouse logs", "treehouse logs -n 20", "treehouse logs feature/login -f"],
    '--json prints one {"line": …} object per line. ' +
      exitCodes("a terminal run that ended (its lines went with its wrapper; a detached run's log stays)"),
  ),
});

const restart = negatedInUsage(
  buildCommand({
    loader: async () => guard((await import("../commands/control/restart.ts")).default),
    parameters: {
      flags: {
        ...targetFlags,
        wait: {
          kind: "boolean",
          brief: "Wait until the server answers again and print its URL; --no-wait returns at once",
          default: true,
        },
      },
      positional: branchArg,
    },
    docs: docs(
      "Restart a run's server: the same command and environment; the IP, name and announcement stay up",
      ["treehouse restart", "treehouse restart feature/login --no-wait", "treehouse restart --service api"],
      "The server is stopped as on SIGTERM to the wrapper (the same kill timeout) and started again. " +
        "Concurrent restarts collapse into one. " + exitCodes("the run is not running (stopped or crashed)"),
    ),
  }),
  ["wait"],
);

const stop = buildCommand({
  loader: async () => guard((await import("../commands/control/stop.ts")).default),
  parameters: {
    flags: { ...targetFlags, all: switchFlag("Every live run of every project") },
    positional: branchArg,
  },
  docs: docs(
    "Stop a run as SIGTERM to its wrapper would; returns when everything is gone",
    ["treehouse stop", "treehouse stop feature/login", "treehouse stop --all"],
    "A detached run's log file is kept. Stopping a run that is not running is not an error (exit 0). " +
      exitCodes(),
  ),
});

const open = buildCommand({
  loader: async () => guard((await import("../commands/control/open.ts")).default),
  parameters: {
    flags: { ...targetFlags, print: switchFlag("Only print the URL") },
    positional: branchArg,
  },
  docs: docs(
    "Open a run's URL in the default browser (xdg-open, or open on macOS)",
    ["treehouse open", "treehouse open feature/login --print"],
    "The URL of a stopped run is opened too (its state is in --json). " + exitCodes() +
      " 10 when no opener is installed.",
  ),
});

/** The control commands. */
export const controlRoutes = { status, logs, restart, stop, open };
