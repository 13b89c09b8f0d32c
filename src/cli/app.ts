/**
 * The command tree. Parameters and help live here so `--help` never loads a command; each command's
 * code is imported lazily when it runs, keeping start-up lean.
 */
import { buildApplication, buildCommand, buildRouteMap } from "@stricli/core";
import { addValueWords } from "./help-placeholders.ts";
import { VERSION } from "../version.ts";
import type { AppContext } from "./context.ts";
import {
  appFlag,
  branchArg,
  branchFlags,
  docs,
  GLOBAL_NOTE,
  jsonFlag,
  stringFlag,
  switchFlag,
} from "./flags.ts";
import { guard } from "./guard.ts";

const ip = buildCommand({
  loader: async () => guard((await import("./commands/ip.ts")).default),
  parameters: { flags: { ...branchFlags, ...appFlag } },
  docs: docs(
    "Print this branch's loopback IP, allocating one on first use",
    [
      "treehouse ip",
      "mix phx.server --ip $(treehouse ip)",
      "treehouse ip --branch=feature/login --project ~/src/app",
    ],
    "Only the IP is printed on stdout, so it fits in $(...), prompts and direnv.",
  ),
});

const allocate = buildCommand({
  loader: async () => guard((await import("./commands/allocate.ts")).default),
  parameters: { flags: { ...branchFlags, ...appFlag, ...jsonFlag } },
  docs: docs("Allocate (or look up) this branch and show its IP, hostname, URL and database", [
    "treehouse allocate",
    "treehouse allocate --json | jq -r .url",
  ]),
});

const info = buildCommand({
  loader: async () => guard((await import("./commands/info.ts")).default),
  parameters: { flags: { ...branchFlags, ...jsonFlag }, positional: branchArg },
  docs: docs(
    "Show a branch's allocation without creating one",
    ["treehouse info", "treehouse info feature/login --json"],
    "Exits with code 3 when the branch has no allocation.",
  ),
});

const list = buildCommand({
  loader: async () => guard((await import("./commands/list.ts")).default),
  parameters: {
    flags: {
      ...jsonFlag,
      project: stringFlag("Only this project's allocations", "PATH"),
      all: {
        kind: "boolean",
        brief: "Every project's allocations (default outside a repository)",
        optional: true,
        withNegated: false,
      },
      watch: {
        kind: "boolean",
        brief:
          "Keep the table on screen, redrawn as branches start, stop and change (Ctrl-C quits); with --json one line per change",
        optional: true,
      },
    },
  },
  docs: docs(
    "List allocations: this project's inside a repository, every project's outside or with --all",
    [
      "treehouse list",
      "treehouse list --all",
      "treehouse list --json | jq '.[].ip'",
      "treehouse list --watch --all",
    ],
  ),
});

const release = buildCommand({
  loader: async () => guard((await import("./commands/release.ts")).default),
  parameters: {
    flags: {
      ...branchFlags,
      ...jsonFlag,
      force: switchFlag("Stop the branch's running server first (SIGTERM, SIGKILL after 10 s), then release"),
      dropDatabase: switchFlag(
        "Also drop the branch's database (only one treehouse created: `treehouse db`)",
      ),
    },
    positional: branchArg,
  },
  docs: docs(
    "Release a branch's allocation so its IP can be reused",
    [
      "treehouse release",
      "treehouse release feature/old-experiment",
      "treehouse release main --project ~/src/app",
      "treehouse release feature/login --force",
      "treehouse release feature/done --drop-database",
    ],
    "Exits with code 3 when the branch has no allocation, and 7 (naming the pid) while its server runs: " +
      "a released IP goes to the next new branch. --force stops the server first.",
  ),
});

const env = buildCommand({
  loader: async () => guard((await import("./commands/env.ts")).default),
  parameters: {
    flags: {
      ...branchFlags,
      ...appFlag,
      format: {
        kind: "enum",
        values: ["shell", "fish", "dotenv", "json"],
        brief: "Output format",
        optional: true,
        placeholder: "FORMAT",
      },
    },
  },
  docs: docs(
    "Print the branch's TREEHOUSE_* variables (allocating if needed)",
    [
      'eval "$(treehouse env)"',
      "treehouse env --format dotenv > .env.treehouse",
      "treehouse env --format json",
    ],
    'Values are quoted safely whatever the branch name contains. In .envrc: eval "$(treehouse env)".',
  ),
});

const foundation = { ip, allocate, info, list, release, env };

/** Where each feature's commands are declared: `./routes/<feature>.ts`, loaded when needed. */
const FEATURES = {
  run: { commands: ["run"], load: async () => (await import("./routes/run.ts")).runRoutes },
  port: { commands: ["port", "config"], load: async () => (await import("./routes/port.ts")).portRoutes },
  control: {
    commands: ["status", "logs", "restart", "stop", "open"],
    load: async () => (await import("./routes/control.ts")).controlRoutes,
  },
  db: { commands: ["db"], load: async () => (await import("./routes/db.ts")).dbRoutes },
  ops: {
    commands: ["cleanup", "doctor", "setup", "hosts", "completions"],
    load: async () => (await import("./routes/ops.ts")).opsRoutes,
  },
  tls: { commands: ["tls"], load: async () => (await import("./routes/tls.ts")).tlsRoutes },
  init: { commands: ["init"], load: async () => (await import("./routes/init.ts")).initRoutes },
  dashboard: {
    commands: ["dashboard"],
    load: async () => (await import("./routes/dashboard.ts")).dashboardRoutes,
  },
} as const;

/**
 * Builds the application. With `first` naming a known command, only that command's feature is
 * loaded (start-up time and the `run` wrapper's memory); otherwise, for root help, unknown commands
 * and completions, every command is.
 */
export async function buildApp(first?: string) {
  const features = Object.values(FEATURES);
  let chosen: (typeof features)[number][] = [];
  if (first === undefined || !(first in foundation)) {
    const owner = features.filter((f) => (f.commands as readonly string[]).includes(first ?? ""));
    chosen = owner.length > 0 ? owner : features;
  }
  const loaded = await Promise.all(chosen.map((f) => f.load()));
  const root = buildRouteMap({
    routes: Object.assign({}, foundation, ...loaded) as typeof foundation,
    docs: {
      brief: "Per-branch loopback IPs, hostnames, ports and database names for side-by-side dev servers",
      fullDescription:
        "Per-branch loopback IPs, hostnames, ports and database names for side-by-side dev servers.\n\n" +
        "Examples:\n  treehouse ip\n  treehouse run -- mix phx.server\n  treehouse list --all\n\n" +
        GLOBAL_NOTE +
        "\nExit codes: 0 ok, 1 bug, 2 usage, 3 not found, 4 not a repository, 5 pool exhausted, 6 registry unusable, " +
        "7 conflict, 8 config, 9 permission, 10 missing tool, 11 timeout, 12 system/doctor finding, 13 local CA unusable, 14 database server, 15 assertion failed, 16 hosts file, 20 run not running, 21 run not answering, 22 wrapper refused the request, 126/127 command not runnable/found.",
    },
  });
  addValueWords(root);
  return buildApplication<AppContext>(root, {
    name: "treehouse",
    versionInfo: { currentVersion: VERSION },
    scanner: { caseStyle: "allow-kebab-for-camel", allowArgumentEscapeSequence: true },
    documentation: { caseStyle: "convert-camel-to-kebab" },
  });
}
