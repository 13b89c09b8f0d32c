/**
 * Commands of port reservations (`treehouse port …`) and `treehouse config` (issue 6), registered in
 * `src/cli/app.ts`. Parameters and help live here; each command's code is imported when it runs.
 */
import { buildCommand, buildRouteMap } from "@stricli/core";
import type { AppContext } from "../context.ts";
import { docs, jsonFlag, portNumber, stringFlag, switchFlag } from "../flags.ts";
import { guard } from "../guard.ts";

/** Parses a whole number of days (≥ 0). */
function days(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new Error(`"${text}" is not a number of days`);
  return Number(text);
}

const pathFlag = {
  path: stringFlag(
    "Directory the reservation belongs to (default: the current one); ~ and symlinks resolved",
    "PATH",
  ),
} as const;
const tagFlag = {
  tag: stringFlag("Tag within the directory, e.g. web or db (default: untagged)", "TAG"),
} as const;
const dryRunFlag = { dryRun: switchFlag("Show what would change without changing it") } as const;
const portFlag = (brief: string) => ({
  port: { kind: "parsed", parse: portNumber, brief, placeholder: "N", optional: true } as const,
});
const portArg = {
  kind: "tuple",
  parameters: [{ brief: "Port number", parse: portNumber, placeholder: "PORT" }],
} as const;
const fileArg = (brief: string) => ({
  kind: "tuple",
  parameters: [{ brief, parse: String, placeholder: "FILE" }],
} as const);
const groupFlags = {
  format: {
    kind: "enum",
    values: ["human", "json", "export", "dotenv"],
    brief: "Output format (default human)",
    optional: true,
    placeholder: "FORMAT",
  },
  shell: {
    kind: "enum",
    values: ["bash", "zsh", "sh", "fish"],
    brief: "Shell for --format export (default: from $SHELL)",
    optional: true,
    placeholder: "SHELL",
  },
} as const;
const daysFlag = (brief: string) => ({
  days: { kind: "parsed", parse: days, brief, placeholder: "N", optional: true } as const,
});

const reserve = buildCommand({
  loader: async () => guard((await import("../commands/port/reserve.ts")).default),
  parameters: {
    flags: {
      ...pathFlag,
      ...tagFlag,
      ...portFlag("Preferred port (tried first; if taken, the range is scanned)"),
      project: stringFlag("Project name (default: the repository's name); sticky", "NAME"),
      task: stringFlag("Task name (default: the branch or worktree); sticky", "NAME"),
      force: switchFlag("Change a sticky project/task, or move an existing reservation to --port"),
      ttl: stringFlag("Expire the reservation after this long unused (e.g. 12h, 7d)", "DURATION"),
      allowProjectChange: switchFlag("Let --project replace the stored project"),
      allowTaskChange: switchFlag("Let --task replace the stored task"),
      allowExcluded: switchFlag("Let --port take an excluded port"),
      allowOccupied: switchFlag("Let --port take a port some program is using now"),
      ...jsonFlag,
    },
  },
  docs: docs(
    "Reserve a port for a directory (and tag), or print the one it already has",
    [
      "treehouse port reserve",
      "PGPORT=$(treehouse port reserve --tag db --port 5432)",
      "treehouse port reserve --path ~/src/app --tag web --ttl 7d",
    ],
    "Only the number is printed on stdout. The same (path, tag) always gets the same port. A new one gets\n" +
      "--port if free, else the first free port of the range (ports.range, default 5000-7999) that is not\n" +
      "reserved, excluded or in use now. When the range is full, stale reservations are cleaned up once;\n" +
      "then it fails with exit code 5.",
  ),
});

const release = buildCommand({
  loader: async () => guard((await import("../commands/port/release.ts")).default),
  parameters: {
    flags: {
      ...pathFlag,
      ...tagFlag,
      recursive: switchFlag("Release every reservation at or under --path"),
      ...jsonFlag,
    },
  },
  docs: docs(
    "Release a directory's reservation so its port can be reused",
    ["treehouse port release --tag web", "treehouse port release --path ~/src/old-app --recursive"],
    "Exits with code 3 when there is no such reservation (not with --recursive).",
  ),
});

const list = buildCommand({
  loader: async () => guard((await import("../commands/port/list.ts")).default),
  parameters: {
    flags: {
      ...jsonFlag,
      path: stringFlag("Only reservations at or under this directory", "PATH"),
      project: stringFlag("Only this project's reservations", "NAME"),
    },
  },
  docs: docs("List port reservations: PORT, TAG, PROJECT, TASK, LAST USED, PATH", [
    "treehouse port list",
    "treehouse port list --path . --json",
    "treehouse port list --project myapp",
  ]),
});

const listProjects = buildCommand({
  loader: async () => guard((await import("../commands/port/list.ts")).listProjects),
  parameters: { flags: { ...jsonFlag } },
  docs: docs("List the projects that hold reservations, with counts", ["treehouse port list-projects"]),
});

const info = buildCommand({
  loader: async () => guard((await import("../commands/port/inspect.ts")).default),
  parameters: { flags: { ...jsonFlag }, positional: portArg },
  docs: docs(
    "Show who reserved a port, whether it is excluded, and whether a process uses it now",
    ["treehouse port port-info 5000", "treehouse port info 5432 --json"],
    "The process is named where the OS says (Linux: /proc, for processes you may inspect).",
  ),
});

const scan = buildCommand({
  loader: async () => guard((await import("../commands/port/inspect.ts")).scan),
  parameters: {
    flags: {
      range: stringFlag("Ports to scan (default: the configured range)", "FIRST-LAST"),
      autoexclude: switchFlag("Exclude the ports in use that no reservation holds"),
      ...jsonFlag,
    },
  },
  docs: docs("List the ports of the range that programs are using now", [
    "treehouse port scan",
    "treehouse port scan --range 5000-5100 --autoexclude",
  ]),
});

const reserveGroup = buildCommand({
  loader: async () => guard((await import("../commands/port/group.ts")).default),
  parameters: { flags: { ...groupFlags }, positional: fileArg("Configuration file with a [group] table") },
  docs: docs(
    "Reserve every port of a file's [group] (all or none), keyed by the file's directory",
    [
      "treehouse port reserve-group treehouse.toml",
      'eval "$(treehouse port reserve-group treehouse.toml --format export)"',
    ],
    "A group: [group] base = 6000, then [group.web] offset = 0, [group.api] offset = 1,\n" +
      '[group.db] port = 5432 env = "PGPORT". Variables default to TREEHOUSE_PORT_<TAG>.',
  ),
});

const autoreserve = buildCommand({
  loader: async () => guard((await import("../commands/port/group.ts")).autoreserve),
  parameters: { flags: { ...groupFlags } },
  docs: docs(
    "Find the nearest treehouse.toml (or treehouse.local.toml) with a [group] and reserve it",
    [
      'eval "$(treehouse port autoreserve --format export)"',
      "treehouse port autoreserve --format dotenv > .env.ports",
    ],
  ),
});

const prune = buildCommand({
  loader: async () => guard((await import("../commands/port/maintain.ts")).prune),
  parameters: { flags: { ...dryRunFlag, ...jsonFlag } },
  docs: docs("Remove reservations whose directory no longer exists", [
    "treehouse port prune --dry-run",
    "treehouse port prune",
  ]),
});

const expire = buildCommand({
  loader: async () => guard((await import("../commands/port/maintain.ts")).expire),
  parameters: {
    flags: { ...daysFlag("Remove reservations not used for N days"), ...dryRunFlag, ...jsonFlag },
  },
  docs: docs(
    "Remove reservations not used for N days (and those whose --ttl ran out)",
    ["treehouse port expire --days 30 --dry-run"],
  ),
});

const autoclean = buildCommand({
  loader: async () => guard((await import("../commands/port/maintain.ts")).autoclean),
  parameters: {
    flags: {
      ...daysFlag("Age limit in days (default: cleanup.expire_after, 30d)"),
      ...dryRunFlag,
      ...jsonFlag,
    },
  },
  docs: docs("Prune and expire in one go", [
    "treehouse port autoclean --dry-run",
    "treehouse port autoclean --days 14",
  ]),
});

const exclude = buildCommand({
  loader: async () => guard((await import("../commands/port/maintain.ts")).exclude),
  parameters: {
    flags: {},
    positional: {
      kind: "tuple",
      parameters: [{ brief: "A port or a range FIRST-LAST", parse: String, placeholder: "PORT|A-B" }],
    },
  },
  docs: docs(
    "Never hand out a port or range (stored in the registry, on top of ports.exclude)",
    ["treehouse port exclude 5432", "treehouse port exclude 6000-6010"],
  ),
});

const compactExclusions = buildCommand({
  loader: async () => guard((await import("../commands/port/maintain.ts")).compactExclusions),
  parameters: { flags: { ...dryRunFlag } },
  docs: docs("Merge overlapping and adjacent excluded ranges", ["treehouse port compact-exclusions"]),
});

const migrate = buildCommand({
  loader: async () => guard((await import("../commands/port/maintain.ts")).migrate),
  parameters: {
    flags: {
      from: { kind: "parsed", parse: String, brief: "The directory's old path", placeholder: "OLD" },
      to: { kind: "parsed", parse: String, brief: "Its new path", placeholder: "NEW" },
      recursive: switchFlag("Also move reservations of directories under OLD"),
      force: switchFlag("Replace reservations already held at the new path"),
      ...dryRunFlag,
    },
  },
  docs: docs("Move reservations after a directory moved", [
    "treehouse port migrate --from ~/src/app --to ~/work/app --recursive",
  ]),
});

const assertReservation = buildCommand({
  loader: async () => guard((await import("../commands/port/assert.ts")).default),
  parameters: { flags: { ...pathFlag, ...tagFlag, ...portFlag("Also require this port") } },
  docs: docs("Exit 0 when (path, tag) is reserved, 15 otherwise", [
    "treehouse port assert-reservation --tag web || echo missing",
    "treehouse port assert-reservation --tag web --port 5000",
  ]),
});

const assertPort = buildCommand({
  loader: async () => guard((await import("../commands/port/assert.ts")).assertPort),
  parameters: { flags: { ...pathFlag, ...tagFlag }, positional: portArg },
  docs: docs("Exit 0 when PORT is reserved (by --path/--tag if given), 15 otherwise", [
    "treehouse port assert-port 5000",
    "treehouse port assert-port 5000 --path . --tag web",
  ]),
});

const assertDataDir = buildCommand({
  loader: async () => guard((await import("../commands/port/assert.ts")).assertDataDir),
  parameters: { flags: { validate: switchFlag("Also open it and run SQLite's integrity check") } },
  docs: docs("Exit 0 when the registry exists (and with --validate, is sound), 15 otherwise", [
    "treehouse port assert-data-dir --validate",
  ]),
});

const showDataDir = buildCommand({
  loader: async () => guard((await import("../commands/port/assert.ts")).showDataDir),
  parameters: { flags: {} },
  docs: docs("Print the directory of the registry", ["treehouse port show-data-dir"]),
});

const showPath = buildCommand({
  loader: async () => guard((await import("../commands/port/assert.ts")).showPath),
  parameters: { flags: { ...pathFlag } },
  docs: docs("Print the key path a reservation would use (absolute, symlinks followed)", [
    "treehouse port show-path",
    "treehouse port show-path --path ~/src/app/../app",
  ]),
});

const validate = buildCommand({
  loader: async () => guard((await import("../commands/port/assert.ts")).validate),
  parameters: { flags: {}, positional: fileArg("Configuration file to check") },
  docs: docs(
    "Check a configuration file; errors name the file, line, key and allowed values (exit 8)",
    ["treehouse port validate treehouse.toml", "treehouse port validate ~/.config/treehouse/config.toml"],
  ),
});

const init = buildCommand({
  loader: async () => guard((await import("../commands/port/assert.ts")).init),
  parameters: { flags: {} },
  docs: docs("Create the registry now (any command creates it on first use) and print its path", [
    "treehouse port init",
    "treehouse --db /tmp/r.db port init",
  ]),
});

const config = buildCommand({
  loader: async () => guard((await import("../commands/config.ts")).default),
  parameters: { flags: { ...jsonFlag } },
  docs: docs(
    "Print the effective configuration and where each value came from",
    ["treehouse config", "treehouse config --json | jq .sources"],
    "Precedence: flags > TREEHOUSE_* variables > treehouse.local.toml > treehouse.toml (both found walking\n" +
      "up from the current directory) > $XDG_CONFIG_HOME/treehouse/config.toml > built-in defaults.",
  ),
});

/** `treehouse port …` and `treehouse config`. */
export const portRoutes = {
  port: buildRouteMap<string, AppContext>({
    routes: {
      reserve,
      release,
      list,
      "list-projects": listProjects,
      info,
      scan,
      "reserve-group": reserveGroup,
      autoreserve,
      prune,
      expire,
      autoclean,
      exclude,
      "compact-exclusions": compactExclusions,
      migrate,
      "assert-reservation": assertReservation,
      "assert-port": assertPort,
      "assert-data-dir": assertDataDir,
      "show-data-dir": showDataDir,
      "show-path": showPath,
      validate,
      init,
    },
    aliases: { "port-info": "info" },
    docs: docs("Stable TCP/UDP ports reserved per directory and tag, safe under concurrency", [
      "treehouse port reserve",
      "PGPORT=$(treehouse port reserve --tag db)",
      'eval "$(treehouse port autoreserve --format export)"',
      "treehouse port list",
    ]),
  }),
  config,
};
