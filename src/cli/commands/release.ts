/** `treehouse release [BRANCH] [--force]`: remove a branch's allocation (never while its server runs). */
import { hostFor } from "../../core/hostname-template.ts";
import { loadSettings } from "../../services/settings.ts";
import { releaseBranch } from "../../services/release.ts";
import type { Host } from "../../adapters/platform/host.ts";

import { sendSignal } from "../../adapters/process/spawn.ts";
import type { AppContext } from "../context.ts";
import { ExitCode } from "../../errors.ts";
import type { Registry } from "../../registry/registry.ts";
import { json, out, say } from "../output.ts";
import { type BranchFlags, notAllocated, openRegistryIfExists, resolveTarget } from "../target.ts";

/** The `treehouse run` wrapper whose child `pid` is: its parent, when that runs treehouse's `run`. */
function wrapperOf(host: Host, pid: number): number | undefined {
  const parent = host.parentOf(pid);
  if (parent === undefined || parent <= 1) return undefined;
  const words = host.commandLine(parent) ?? [];
  const treehouse = words.some((w) => /(^|\/)treehouse$|\/main\.(ts|js)$/.test(w));
  return treehouse && words.includes("run") ? parent : undefined;
}

export default async function release(
  this: AppContext,
  flags: BranchFlags & { json?: boolean; force?: boolean; dropDatabase?: boolean },
  branchArg?: string,
): Promise<void> {
  const target = resolveTarget(this, flags, branchArg);
  // Before anything changes: an invalid configuration stops the command, not its report.
  const template = loadSettings(this.config, this.cwd).hostnameTemplate;
  const registry = openRegistryIfExists(this);
  try {
    const name = /^[\w./-]+$/.test(target.branch) && !target.branch.startsWith("-")
      ? target.branch
      : `--branch='${target.branch.replaceAll("'", "'\\''")}'`;
    const released = registry && await releaseBranch(
      {
        registry,
        isAlive: this.host.isAlive,
        wrapperOf: (pid) => wrapperOf(this.host, pid),
        signal: (pid, signal) => void sendSignal(pid, signal, false),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        now: Date.now,
      },
      target,
      { force: flags.force ?? false, name },
    );
    if (!released) throw notAllocated(target, "See what is allocated with `treehouse list --all`");
    const a = released.allocation;
    // Only with --drop-database does a branch's data go with it (and only a database treehouse created).
    let databases: Awaited<ReturnType<typeof dropBranchDatabases>> = [];
    if (flags.dropDatabase) databases = await dropBranchDatabases(this, registry, a);
    if (flags.json) {
      const extra = flags.dropDatabase ? { databases } : {};
      // `host` is the full hostname, as in `list --json` and `info --json` (`hostname` is the label).
      out(this, json({ ...a, host: hostFor(a, template), stopped_pid: released.stopped ?? null, ...extra }));
    } else {
      if (released.stopped !== undefined) say(this, `Stopped ${a.branch}'s server (pid ${released.stopped})`);
      say(this, `Released ${a.ip} (${hostFor(a, template)}) from ${a.branch}`);
      for (const d of databases.filter((d) => d.dropped)) say(this, `Dropped database ${d.record.name}`);
    }
    if (flags.dropDatabase) {
      const { reportDropFailures } = await import("../db-render.ts");
      if (reportDropFailures(this, databases)) this.exitCode = ExitCode.database;
    }
  } finally {
    registry?.close();
  }
}

/** `--drop-database`: the released branch's recorded databases, dropped (loaded only with the flag). */
async function dropBranchDatabases(
  ctx: AppContext,
  registry: Registry,
  a: { project_path: string; branch: string },
) {
  const [{ dropForBranches }, { databasesOfBranches }] = await Promise.all([
    import("../../services/db/branch.ts"),
    import("../../services/db/drop.ts"),
  ]);
  const candidates = databasesOfBranches(registry, [{ ...a, reason: "its branch was released" }]);
  return await dropForBranches(registry, loadSettings(ctx.config, ctx.cwd), ctx.env, candidates, false);
}
