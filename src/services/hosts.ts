/**
 * `hosts sync|clean` as functions other commands can call (e.g. `run --hosts`): read the file,
 * compute the new text with the pure block functions, write it only when it changes.
 */
import { hostFor } from "../core/hostname-template.ts";
import type { Allocation } from "../registry/allocations.ts";
import { HostsFileError } from "../errors.ts";
import { applyBlock, HostsBlockError, type HostsEntry, readBlock, removeBlock } from "../core/hosts-block.ts";
import { DEFAULT_HOSTS_FILE, readHostsFile, writeHostsFile } from "../adapters/hosts-file.ts";
import { type Env, expandHome } from "../registry/path.ts";

/** The hosts file: the flag, then `TREEHOUSE_HOSTS_FILE`, then /etc/hosts; relative to `cwd`. */
export function resolveHostsFile(env: Env, cwd: string, flag?: string): string {
  const path = expandHome(flag ?? env("TREEHOUSE_HOSTS_FILE") ?? DEFAULT_HOSTS_FILE, env);
  return path.startsWith("/") ? path : `${cwd}/${path}`;
}

/** The hosts lines for allocations: `<ip> <host>`, the host from the hostname template. */
export function hostsEntries(allocations: readonly Allocation[], template?: string): HostsEntry[] {
  return allocations.map((a) => ({ ip: a.ip, host: hostFor(a, template) }));
}

/** What a sync or clean did (or, with `dryRun`, would do). */
export interface HostsChange {
  file: string;
  changed: boolean;
  /** The file's text after the change. */
  content: string;
  /** Entries in the block after the change (0 after clean). */
  entries: number;
}

/** Options for {@link syncHosts} and {@link cleanHosts}. */
export interface HostsOptions {
  dryRun?: boolean;
  /** Shown in the permission error: the command that works with root rights. */
  sudoCommand?: string;
}

/** Puts exactly `entries` in the file's treehouse block. */
export function syncHosts(
  file: string,
  entries: readonly HostsEntry[],
  options: HostsOptions = {},
): HostsChange {
  const before = readHostsFile(file);
  const after = damaged(file, () => applyBlock(before, entries));
  const changed = after !== before;
  if (changed && !options.dryRun) writeHostsFile(file, after, { sudoCommand: options.sudoCommand });
  return { file, changed, content: after, entries: entries.length };
}

/** Removes the treehouse block, restoring the file as it was before the first sync. */
export function cleanHosts(file: string, options: HostsOptions = {}): HostsChange {
  const before = readHostsFile(file);
  const after = damaged(file, () => removeBlock(before));
  const changed = after !== before;
  if (changed && !options.dryRun) writeHostsFile(file, after, { sudoCommand: options.sudoCommand });
  return { file, changed, content: after, entries: 0 };
}

/** True when the file has a block and it holds exactly `entries` (or has no block and none are due). */
export function hostsInSync(text: string, entries: readonly HostsEntry[]): boolean | "absent" {
  const current = readBlock(text);
  if (current === undefined) return "absent";
  return applyBlock(text, entries) === text;
}

function damaged(file: string, fn: () => string): string {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof HostsBlockError)) throw error;
    throw new HostsFileError(`${file}: ${error.message}`, {
      hint: "Edit the file by hand: remove the treehouse lines or restore the end marker, then run again",
    });
  }
}
