/**
 * macOS adapter for `treehouse setup`: reads the machine's state (plists, anchor, `ifconfig lo0`,
 * `launchctl print`) and runs the planned steps, through `sudo` when not root. Files are written
 * under a root directory that tests point at a temp dir; programs are found on PATH, so tests put
 * fake `ifconfig`, `launchctl`, `pfctl` and `sudo` first.
 */
import { PermissionError, SystemError } from "../../errors.ts";
import {
  ALIAS_LABEL,
  ALIAS_PLIST,
  type MacState,
  parseIfconfig,
  PF_ANCHOR_FILE,
  PF_LABEL,
  PF_PLIST,
  type Step,
} from "../../core/macos-plan.ts";
import { describeFailure, runProgram } from "../process/spawn.ts";
import { applySystemSteps } from "../system-steps.ts";

function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Reads what setup manages. `root` prefixes every file path ("" on a real machine). */
export function readMacState(root: string): MacState {
  const lo0 = runProgram(["ifconfig", "lo0"]);
  if (lo0.code !== 0) throw new SystemError(`Cannot read lo0: ${describeFailure(["ifconfig", "lo0"], lo0)}`);
  const loaded = (label: string) => runProgram(["launchctl", "print", `system/${label}`]).code === 0;
  return {
    aliasPlist: readOptional(root + ALIAS_PLIST),
    aliasLoaded: loaded(ALIAS_LABEL),
    aliases: parseIfconfig(lo0.stdout),
    pfPlist: readOptional(root + PF_PLIST),
    pfLoaded: loaded(PF_LABEL),
    anchor: readOptional(root + PF_ANCHOR_FILE),
  };
}

/**
 * Runs the steps in order; with `sudo`, every step goes through it (files are staged in a temp
 * file and put in place with `sudo install -m 0644`). Stops at the first failure.
 */
export function runSteps(steps: readonly Step[], sudo: boolean, log: (line: string) => void): void {
  if (sudo) {
    // Ask for the password once, on the terminal, before the first step (later steps reuse it).
    const auth = runProgram(["sudo", "-v"], { stdio: "inherit" });
    if (auth.code !== 0) {
      throw new PermissionError("sudo refused: nothing was changed", {
        hint: "Run `treehouse setup` again as a user allowed to use sudo",
      });
    }
  }
  applySystemSteps(steps.map((step) => ({ ...step, sudo })), log, {
    stopped: "Setup stopped",
    hint: "Fix the cause and run `treehouse setup` again: finished steps are skipped",
    stagePrefix: "treehouse-setup-",
    makeParents: true,
  });
}
