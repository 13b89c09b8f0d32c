/** The hosts-file check: the treehouse block is in sync with the allocations (`--fix` syncs it when allowed). */
import type { Check } from "./checks.ts";
import { readBlock } from "../../core/hosts-block.ts";
import { readHostsFile, withHostsLock } from "../../adapters/hosts-file.ts";
import { hostsEntries, hostsInSync, syncHosts } from "../hosts.ts";
import { sudoCommand } from "../../adapters/self.ts";
import { resolveHostsFile } from "../hosts.ts";
import { type DoctorContext, noRegistry, problem } from "./context.ts";

/** The hosts block's check, and whether the block serves the names (in sync, or just synced by --fix). */
export function checkHosts(env: DoctorContext, flag: string | undefined): { check: Check; inUse: boolean } {
  const file = resolveHostsFile(env.env, env.cwd, flag);
  let text: string;
  try {
    text = readHostsFile(file);
  } catch (error) {
    return { check: { id: "hosts", status: "fail", ...problem(error) }, inUse: false };
  }
  if (readBlock(text) === undefined) {
    return {
      check: { id: "hosts", status: "ok", detail: `${file} has no treehouse block (not used)` },
      inUse: false,
    };
  }
  if (!env.allocations) {
    return { check: { id: "hosts", status: "skip", detail: noRegistry(env) }, inUse: false };
  }
  const entries = hostsEntries(env.allocations, env.settings?.hostnameTemplate);
  const args = ["hosts", "sync", ...(flag ? ["--file", file] : [])];
  const fix = sudoCommand(env.dbPath, args);
  if (hostsInSync(text, entries) === true) {
    return {
      check: { id: "hosts", status: "ok", detail: `${file} block in sync (${entries.length} entries)` },
      inUse: true,
    };
  }
  if (env.fix) {
    try {
      withHostsLock(file, () => syncHosts(file, entries, { sudoCommand: fix }));
      return {
        check: {
          id: "hosts",
          status: "fail",
          fixed: true,
          detail: `${file} block synced (${entries.length} entries)`,
        },
        inUse: true,
      };
    } catch (error) {
      return { check: { id: "hosts", status: "fail", ...problem(error) }, inUse: false };
    }
  }
  return {
    check: { id: "hosts", status: "fail", detail: `${file} block is out of sync with the registry`, fix },
    inUse: false,
  };
}
