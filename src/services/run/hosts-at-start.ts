/**
 * `run --hosts`: writes the hosts file's block with every allocation (this one included). A hosts file
 * the user may not write is a warning with the sudo command: the server runs anyway. Loaded only with
 * `--hosts`, so the wrapper stays small without it.
 */
import { withHostsLock } from "../../adapters/hosts-file.ts";
import { sudoCommand } from "../../adapters/self.ts";
import { TreehouseError } from "../../errors.ts";
import { listAllocations } from "../../registry/allocations.ts";
import { hostsEntries, resolveHostsFile, syncHosts } from "../hosts.ts";
import type { RunDeps } from "./types.ts";

/** Syncs the hosts file at the start of a run; never throws for the file's sake. */
export function syncHostsAtStart(deps: RunDeps, template: string): void {
  const file = resolveHostsFile(deps.env, deps.cwd);
  try {
    const change = withHostsLock(
      file,
      () =>
        syncHosts(file, hostsEntries(listAllocations(deps.registry), template), {
          sudoCommand: sudoCommand(deps.registry.path, ["hosts", "sync"]),
        }),
    );
    if (change.changed) deps.output.info(`treehouse: updated ${file} (${change.entries} entries)`);
  } catch (error) {
    const hint = error instanceof TreehouseError && error.hint ? ` (${error.hint})` : "";
    deps.output.warn(`${(error as Error).message}${hint}: ${file} not updated, the server runs anyway`);
  }
}
