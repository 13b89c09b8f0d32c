/** `treehouse hosts sync|clean|print`: the /etc/hosts fallback for machines without mDNS. */
import { loadSettings } from "../../services/settings.ts";
import type { AppContext } from "../context.ts";
import { out, say } from "../output.ts";
import { registryPath } from "../../registry/path.ts";
import { openExistingRegistry } from "../../registry/open.ts";
import { listAllocations } from "../../registry/allocations.ts";
import { buildBlock, type HostsEntry } from "../../core/hosts-block.ts";
import { withHostsLock } from "../../adapters/hosts-file.ts";
import { cleanHosts, hostsEntries, resolveHostsFile, syncHosts } from "../../services/hosts.ts";
import { sudoCommand } from "../../adapters/self.ts";

interface HostsFlags {
  file?: string;
  dryRun?: boolean;
}

/** The hosts file: `--file`, then `TREEHOUSE_HOSTS_FILE`, then /etc/hosts. */
export function hostsFilePath(ctx: AppContext, flag: string | undefined): string {
  return resolveHostsFile(ctx.env, ctx.cwd, flag);
}

/** The allocations' hosts lines (the registry is never created here: see openExistingRegistry). */
function entries(ctx: AppContext, command: string) {
  const registry = openExistingRegistry(ctx.dbFlag, ctx.env, command);
  try {
    return hostsEntries(listAllocations(registry), loadSettings(ctx.config, ctx.cwd).hostnameTemplate);
  } finally {
    registry.close();
  }
}

function retry(ctx: AppContext, action: string, file: string, flag: string | undefined): string {
  const args = ["hosts", action, ...(flag ? ["--file", file] : [])];
  return sudoCommand(registryPath(ctx.dbFlag, ctx.env), args);
}

/** `hosts sync`: exactly the current allocations in the block. */
export function sync(this: AppContext, flags: HostsFlags): void {
  const file = hostsFilePath(this, flags.file);
  let wanted: HostsEntry[] = [];
  const change = withHostsLock(file, () => {
    wanted = entries(this, "hosts sync");
    return syncHosts(file, wanted, {
      dryRun: flags.dryRun,
      sudoCommand: retry(this, "sync", file, flags.file),
    });
  });
  if (!change.changed) say(this, `${file} is already in sync (${change.entries} entries)`);
  else if (flags.dryRun) {
    say(this, `Would write ${change.entries} entries to ${file} (dry run: nothing changed):`);
    out(this, `${buildBlock(wanted)}\n`);
  } else say(this, `Updated ${file}: ${change.entries} entries (previous file: ${file}.treehouse.bak)`);
}

/** `hosts clean`: the block removed, the file as it was. */
export function clean(this: AppContext, flags: HostsFlags): void {
  const file = hostsFilePath(this, flags.file);
  const change = withHostsLock(
    file,
    () => cleanHosts(file, { dryRun: flags.dryRun, sudoCommand: retry(this, "clean", file, flags.file) }),
  );
  if (!change.changed) say(this, `${file} has no treehouse block`);
  else if (flags.dryRun) {
    say(this, `Would remove the treehouse block from ${file} (dry run: nothing changed)`);
  } else say(this, `Removed the treehouse block from ${file} (previous file: ${file}.treehouse.bak)`);
}

/** `hosts print`: the block sync would write. */
export function print(this: AppContext): void {
  out(this, `${buildBlock(entries(this, "hosts print"))}\n`);
}
