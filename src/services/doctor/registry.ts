/** The registry check: it opens, passes SQLite's quick check and takes the write lock. */
import { TreehouseError } from "../../errors.ts";
import { listAllocations } from "../../registry/allocations.ts";
import { Registry } from "../../registry/registry.ts";
import { SCHEMA_VERSION } from "../../registry/migrations.ts";
import type { Check } from "./checks.ts";
import { type DoctorContext, problem } from "./context.ts";

export function checkRegistry(env: DoctorContext): Check {
  let exists = true;
  try {
    Deno.statSync(env.dbPath);
  } catch {
    exists = false;
  }
  if (!exists && !env.fix) {
    return {
      id: "registry",
      status: "warn",
      detail: `${env.dbPath} does not exist yet`,
      fix: "treehouse doctor --fix",
    };
  }
  try {
    const registry = Registry.open(env.dbPath);
    env.registry = registry;
    const verdict = registry.quickCheck();
    if (verdict !== "ok") {
      return {
        id: "registry",
        status: "fail",
        detail: `${env.dbPath} is damaged: ${verdict}`,
        fix: `mv ${env.dbPath} ${env.dbPath}.broken   # a new registry is created on next use`,
      };
    }
    // Opened for writing for real (nothing written): the mode bits say nothing of root, nor of an
    // immutable file (`chattr +i`), which SQLite opens read-only without a word.
    const unwritable = openForWriting(env.dbPath);
    if (unwritable) return unwritable;
    registry.write(() => undefined); // takes the write lock: proves the file and its directory are writable
    env.allocations = listAllocations(registry);
    return {
      id: "registry",
      status: "ok",
      fixed: !exists ? true : undefined,
      detail: `${env.dbPath} (schema ${SCHEMA_VERSION}, ${env.allocations.length} allocation${
        env.allocations.length === 1 ? "" : "s"
      })${exists ? "" : ": created"}`,
    };
  } catch (error) {
    return {
      id: "registry",
      status: "fail",
      detail: problem(error).detail,
      fix: registryFix(error, env.dbPath),
    };
  }
}

/** A failing check when the registry file cannot be opened for writing (its content is not touched). */
function openForWriting(path: string): Check | undefined {
  try {
    Deno.openSync(path, { write: true }).close();
    return undefined;
  } catch (error) {
    const text = (error as Error).message;
    // EPERM (not EACCES): an attribute, not the mode, keeps it read-only.
    const attribute = /not permitted/i.test(text);
    return {
      id: "registry",
      status: "fail",
      detail: `${path} cannot be opened for writing: ${text.replace(/:? ?\(os error \d+\).*$/, "")}` +
        (attribute ? " (an immutable or append-only attribute? see lsattr)" : ""),
      fix: attribute ? `chattr -i -a ${path}` : `chmod u+w ${path}`,
    };
  }
}

/** The command for a registry problem: the error's own fix (data), else moving the file away. */
function registryFix(error: unknown, path: string): string {
  if (error instanceof TreehouseError && error.fix) return error.fix;
  return `mv ${path} ${path}.broken   # a new registry is created on next use; the old one is kept`;
}
