/**
 * Operations commands (issue 7): cleanup, doctor, setup, hosts, completions. Parameters and help
 * only; each command's code is loaded when it runs.
 */
import { buildCommand, buildRouteMap } from "@stricli/core";
import { docs, jsonFlag, stringFlag, switchFlag } from "../flags.ts";
import { guard } from "../guard.ts";

const dryRunFlag = { dryRun: switchFlag("Show what would change and change nothing") } as const;

const cleanup = buildCommand({
  loader: async () => guard((await import("../commands/cleanup.ts")).default),
  parameters: {
    flags: {
      ...dryRunFlag,
      ...jsonFlag,
      olderThan: stringFlag(
        "Only allocations not seen for this long; port reservations unused that long (default cleanup.expire_after, 30d)",
        "DURATION",
      ),
      allProjects: switchFlag(
        "Every project (default inside a repository: its allocations and the reservations in its directory)",
      ),
      dropDatabases: switchFlag(
        "Also drop the databases treehouse created for the branches removed (and for branches gone); try --dry-run first",
      ),
    },
  },
  docs: docs(
    "Remove allocations and port reservations whose branch, worktree, repository or process is gone",
    [
      "treehouse cleanup --dry-run",
      "treehouse cleanup --all-projects",
      "treehouse cleanup --older-than 7d --json",
      "treehouse cleanup --drop-databases --dry-run",
    ],
    "Removed: allocations whose branch no longer exists, whose linked worktree or repository directory was " +
      "deleted, or whose process is dead with a heartbeat older than TREEHOUSE_STALE_AFTER (30m); port " +
      "reservations whose directory is gone, whose ttl ran out or that were unused for cleanup.expire_after (30d). Each is named with the reason. Running " +
      "servers are never touched. Databases are dropped only with --drop-databases, and only those treehouse created.",
  ),
});

const doctor = buildCommand({
  loader: async () => guard((await import("../commands/doctor.ts")).default),
  parameters: {
    flags: {
      ...jsonFlag,
      fix: switchFlag("Apply the fixes that need no root rights (others are printed)"),
      hostsFile: stringFlag("Hosts file to check (default /etc/hosts, or TREEHOUSE_HOSTS_FILE)", "PATH"),
    },
  },
  docs: docs(
    "Check the registry, the IP pool, mDNS, the hosts block, announcers, the port-80 redirect and PATH",
    [
      "treehouse doctor",
      "treehouse doctor --fix",
      `treehouse doctor --json | jq '.checks[] | select(.status == "fail")'`,
    ],
    "Every failed check prints the command that fixes it. Exits with code 12 when something is broken.",
  ),
});

const setup = buildCommand({
  loader: async () => guard((await import("../commands/setup.ts")).default),
  parameters: {
    flags: {
      https: switchFlag(
        "Trust the local CA (treehouse tls ca) in this machine's stores: macOS keychain, Linux system store, NSS",
      ),
      ports: switchFlag(
        "Ports 80 and 443 for run --https on every pool IP, once (Linux: the unprivileged-port sysctl; macOS: a pf anchor)",
      ),
      port80: { ...switchFlag("The former name of --ports"), hidden: true },
      uninstall: switchFlag("Remove everything setup added, and nothing else"),
      yes: switchFlag("Do not ask before using sudo (for scripts)"),
      ...dryRunFlag,
      root: stringFlag("Write files under this directory instead of / (tests; also TREEHOUSE_ROOT)", "DIR"),
    },
  },
  docs: docs(
    "Prepare this machine: loopback aliases (macOS), ports 80/443 (--ports), trust in the local CA (--https)",
    [
      "treehouse setup",
      "treehouse setup --ports --yes",
      "treehouse setup --https",
      "treehouse setup --https --uninstall",
      "treehouse setup --uninstall",
      "treehouse setup --dry-run",
    ],
    "On macOS a LaunchDaemon adds an lo0 alias for every pool IP at boot (aliases vanish on reboot); " +
      "--ports adds a pf anchor sending :80 and :443 of every pool IP to the HTTPS front's ports (10080, 10443), " +
      "so URLs need no port; on Linux it lowers net.ipv4.ip_unprivileged_port_start to 80 (/etc/sysctl.d). " +
      "setup prints its plan and asks before using sudo. " +
      "On Linux all of 127/8 is already local: setup explains how to get mDNS or use `treehouse hosts sync`. " +
      "--https trusts the local CA: the macOS System keychain (sudo), the Linux system store (as root) and " +
      "the user's NSS databases (~/.pki/nssdb, Firefox profiles) through certutil.",
  ),
});

const hostsFileFlag = {
  file: stringFlag("Hosts file (default /etc/hosts, or TREEHOUSE_HOSTS_FILE)", "PATH"),
} as const;

const hostsSync = buildCommand({
  loader: async () => guard((await import("../commands/hosts.ts")).sync),
  parameters: { flags: { ...hostsFileFlag, ...dryRunFlag } },
  docs: docs(
    "Write one marked block of `<ip> <hostname>.local` lines for every allocation into the hosts file",
    [
      "treehouse hosts sync --file /tmp/hosts --dry-run",
      'sudo "$(command -v treehouse)" --db "$HOME/.local/share/treehouse/registry.db" hosts sync',
    ],
    "Every other line is kept. The write is atomic (temp file + rename, same mode and owner) and the " +
      "previous file is kept as <file>.treehouse.bak. Without permission the exact sudo command is printed. " +
      "Under sudo, name your registry with --db: root's HOME holds another one.",
  ),
});

const hostsClean = buildCommand({
  loader: async () => guard((await import("../commands/hosts.ts")).clean),
  parameters: { flags: { ...hostsFileFlag, ...dryRunFlag } },
  docs: docs(
    "Remove the treehouse block from the hosts file, restoring it byte for byte",
    [
      "treehouse hosts clean --file /tmp/hosts",
      'sudo "$(command -v treehouse)" --db "$HOME/.local/share/treehouse/registry.db" hosts clean',
    ],
  ),
});

const hostsPrint = buildCommand({
  loader: async () => guard((await import("../commands/hosts.ts")).print),
  parameters: { flags: {} },
  docs: docs("Print the block `hosts sync` would write", ["treehouse hosts print"]),
});

const hosts = buildRouteMap({
  routes: { sync: hostsSync, clean: hostsClean, print: hostsPrint },
  docs: docs("Keep allocations in /etc/hosts: for machines and browsers without mDNS", [
    "treehouse hosts print",
    "treehouse hosts sync --dry-run",
    'sudo "$(command -v treehouse)" --db "$HOME/.local/share/treehouse/registry.db" hosts sync',
    "treehouse hosts clean --file /tmp/hosts",
  ]),
});

function shellCommand(shell: "bash" | "zsh" | "fish", example: string) {
  return buildCommand({
    loader: async () => guard((await import("../commands/completions.ts")).script(shell)),
    parameters: { flags: {} },
    docs: docs(`Print the ${shell} completion script`, [example]),
  });
}

const propose = buildCommand({
  loader: async () => guard((await import("../commands/completions.ts")).propose),
  parameters: {
    flags: {},
    positional: {
      kind: "array",
      parameter: {
        brief: "The words typed after `treehouse`, the last one partial",
        parse: String,
        placeholder: "WORD",
      },
    },
  },
  docs: docs("Print completions for a partial command line (used by the completion scripts)", [
    "treehouse completions propose -- hosts s",
  ]),
});

const completions = buildRouteMap({
  routes: {
    bash: shellCommand("bash", 'eval "$(treehouse completions bash)"   # in ~/.bashrc'),
    zsh: shellCommand("zsh", "source <(treehouse completions zsh)    # in ~/.zshrc, after compinit"),
    fish: shellCommand("fish", "treehouse completions fish > ~/.config/fish/completions/treehouse.fish"),
    propose,
  },
  docs: {
    ...docs("Shell completion scripts for bash, zsh and fish", [
      'eval "$(treehouse completions bash)"   # in ~/.bashrc',
      "source <(treehouse completions zsh)    # in ~/.zshrc, after compinit",
      "treehouse completions fish > ~/.config/fish/completions/treehouse.fish",
    ]),
    hideRoute: { propose: true },
  },
});

/** The operations routes, spread into the root route map by `src/cli/app.ts`. */
export const opsRoutes = { cleanup, doctor, setup, hosts, completions };
