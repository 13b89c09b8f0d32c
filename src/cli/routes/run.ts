/** Commands of the `run` feature (issue 5), registered in `src/cli/app.ts`. */
import { buildCommand } from "@stricli/core";
import type { AppContext } from "../context.ts";
import {
  appFlag,
  branchFlags,
  docs,
  negatedInUsage,
  portNumber,
  rewriteHelp,
  stringFlag,
  switchFlag,
} from "../flags.ts";
import { guard } from "../guard.ts";
import { positiveSeconds } from "../fast-path.ts";

/**
 * The command is optional (a treehouse.toml [run] table supplies it) and comes after `--`: stricli would
 * show a required `<CMD>...`, so the usage reads `[SERVICE] [-- CMD...]` and the argument `[CMD...]`.
 */
const optionalCommand = (text: string) =>
  text.replace("<CMD>...", "[SERVICE] [-- CMD...]").replace(/^ {2}CMD\.\.\. /m, "  [CMD...] ");

const run = rewriteHelp(
  negatedInUsage(
    buildCommand({
      loader: async () => guard((await import("../commands/run.ts")).default),
      parameters: {
        flags: {
          ...branchFlags,
          ...appFlag,
          port: {
            kind: "parsed",
            parse: portNumber,
            brief:
              "Port the server listens on, remembered for the branch's service (default: the remembered one, else [run] port, else PORT, else 4000)",
            placeholder: "N",
            optional: true,
          },
          name: stringFlag(
            "An extra hostname label for this run's lifetime (still made unique); the branch keeps its name",
            "LABEL",
          ),
          detach: {
            kind: "boolean",
            brief:
              "Run in the background (own session, output to a log file); print the URL once ready, or the last log lines and exit non-zero",
            optional: true,
            withNegated: false,
          },
          json: {
            kind: "boolean",
            brief: "With --detach: print the ready run as JSON (as status --json)",
            optional: true,
            withNegated: false,
          },
          logFile: {
            kind: "parsed",
            parse: String,
            brief: "Write the command's output and treehouse's messages to this file (what --detach uses)",
            placeholder: "PATH",
            optional: true,
          },
          mdns: {
            kind: "boolean",
            brief:
              "Announce <label>.local over mDNS (dns-sd on macOS, avahi-publish on Linux); on by default, --no-mdns skips it",
            default: true,
          },
          envPort: {
            kind: "boolean",
            brief:
              "Set the conventional HOST and PORT variables for the command; on by default, --no-env-port skips them",
            default: true,
          },
          restart: {
            kind: "enum",
            values: ["no", "on-failure"],
            brief:
              "Restart a crashed command (backoff 1, 2, 4, 8, 16 s; at most 5 times); default: [run] restart, else no",
            optional: true,
          },
          ready: stringFlag(
            "Wait until this port (on the branch's IP) or URL answers, then print ready; placeholders allowed ({url}/health)",
            "PORT|URL",
          ),
          readyTimeout: {
            kind: "parsed",
            parse: positiveSeconds,
            brief: "Seconds to wait for --ready before giving up with exit 11 (default 60)",
            placeholder: "SECONDS",
            optional: true,
          },
          killTimeout: {
            kind: "parsed",
            parse: positiveSeconds,
            brief: "Seconds between a forwarded SIGTERM/SIGINT/SIGHUP and SIGKILL (default 5)",
            placeholder: "SECONDS",
            optional: true,
          },
          quiet: { kind: "boolean", brief: "No banner on stderr", optional: true, withNegated: false },
          hosts: {
            kind: "boolean",
            brief: "Also write the allocations to the hosts file (TREEHOUSE_HOSTS_FILE, else /etc/hosts)",
            optional: true,
            withNegated: false,
          },
          database: {
            kind: "enum",
            values: ["clone", "empty", "no"],
            brief:
              "Create the branch's database before the server starts if it does not exist (clone the base " +
              "or empty), and set TREEHOUSE_DATABASE_URL/DATABASE_URL (default: [database] create; also --db MODE)",
            optional: true,
            placeholder: "MODE",
          },
          https: {
            kind: "boolean",
            brief:
              "Serve https://<host>/ through a TLS front on <ip>:443 (the local CA; default: the https " +
              "setting); plain http on :80 redirects",
            optional: true,
          },
          port80: {
            kind: "boolean",
            brief: "Serve plain http://<host>/ on <ip>:80, forwarded to the server (without --https)",
            optional: true,
            withNegated: false,
          },
          service: {
            ...stringFlag("The [run.<service>] to start (also: treehouse run SERVICE)", "SERVICE"),
            proposeCompletions: async function (this: AppContext) {
              return (await import("../completion-candidates.ts")).serviceNames(this);
            },
          },
          preset: {
            kind: "boolean",
            brief:
              "Add a known dev server's listen flags (Vite, Next.js, Rails, Django…) it lacks; on by default, --no-preset skips it",
            default: true,
          },
          yes: switchFlag("Run the project's [run] command without asking (for scripts; it is shown first)"),
        },
        positional: {
          kind: "array",
          parameter: {
            brief:
              "The dev server's command and its arguments (after --; default: the project's [run] command)",
            parse: String,
            placeholder: "CMD",
            // `treehouse run <TAB>`: the [run] services (a word before `--` names one).
            proposeCompletions: async function (this: AppContext, partial: string) {
              return (await import("../completion-candidates.ts")).serviceNames(this, partial);
            },
          },
          minimum: 0,
        },
      },
      docs: docs(
        "Run a dev server on this branch's IP and port, announce <branch>.local, and clean up when it stops",
        [
          "treehouse run                      # the [run] command of treehouse.toml (treehouse init writes one)",
          "treehouse run api --ready '{url}/health'",
          "treehouse run -- npx vite          # Vite's preset adds --host {ip} --port {port} --strictPort",
          "treehouse run -- mix phx.server",
          "treehouse run -- python3 -m http.server {port} --bind {ip}",
          "treehouse run --db clone -- mix phx.server",
          "treehouse run --port 5173 -- npx vite --host {ip} --port {port} --strictPort",
          "treehouse run --ready 4000 --restart on-failure -- bin/rails server -b {ip} -p {port}",
          "treehouse run --name api --no-mdns -- deno run -A server.ts",
          "treehouse run --https -- npx vite --host {ip} --port {port} --strictPort",
          "treehouse run --detach -- python3 -m http.server {port} --bind {ip}",
          "treehouse run --detach --service api --port 4001 -- bin/api",
        ],
        "The command runs directly (no shell) with TREEHOUSE_IP, TREEHOUSE_HOST, TREEHOUSE_PORT, " +
          "TREEHOUSE_URL, TREEHOUSE_BRANCH, TREEHOUSE_DB_NAME, HOST and PORT set; {ip} {port} {host} {url} " +
          "{branch} {db} in its arguments are replaced. Signals are forwarded; the exit code is the command's " +
          "(128+N when signal N killed it). Exit 7 when the IP:port is taken, 127/126 when the command cannot " +
          "start, 11 when --ready times out. TREEHOUSE_HEARTBEAT (60s) and TREEHOUSE_STALE_AFTER (30m) tune " +
          "liveness; TREEHOUSE_RESTART_BACKOFF (1s) is the first restart delay. With --https the child also gets " +
          "TREEHOUSE_HTTPS_URL, TREEHOUSE_TLS_CERT, TREEHOUSE_TLS_KEY ({cert} {key}) and NODE_EXTRA_CA_CERTS, and " +
          "TREEHOUSE_URL is the https URL. " +
          "A project's [run] command is shown and asked about once (again when it changes); off a terminal " +
          "without --yes that is exit 2. Every run is recorded (status, logs, restart, stop reach it over its " +
          "control socket) and is ready once --ready answers, by default the branch's IP:port. --detach exits 0 " +
          "once ready, 11 when --ready-timeout (60s) passes first, else the wrapper's code.",
      ),
    }),
    ["mdns", "env-port", "preset"],
  ),
  optionalCommand,
);

/** The `run` command. */
export const runRoutes = { run };
