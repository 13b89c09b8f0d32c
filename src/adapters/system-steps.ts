/**
 * Runs the steps a setup planned (`core/system-step.ts`): files written and removed, directories
 * made, programs run, each through `sudo` when the step says so. A file written through sudo is
 * staged in a temp file and put in place with `sudo install -m 0644`.
 */
import { SystemError } from "../errors.ts";
import type { SystemStep } from "../core/system-step.ts";
import { describeFailure, runProgram } from "./process/spawn.ts";

/** How a run of steps words its failure, and how it writes files. */
export interface StepOptions {
  /** The failure's first words ("Setup stopped"), before the failed command. */
  readonly stopped: string;
  /** The failure's hint. */
  readonly hint: string;
  /** The name prefix of a file staged for `sudo install`. */
  readonly stagePrefix: string;
  /** Make a written file's directory first (plans that have no `mkdir` step of their own). */
  readonly makeParents?: boolean;
}

/** Runs the steps in order, stopping at the first failure (a {@link SystemError} naming it). */
export function applySystemSteps(
  steps: readonly SystemStep[],
  log: (line: string) => void,
  options: StepOptions,
): void {
  for (const step of steps) {
    if (step.kind === "write" && options.makeParents) {
      const dir = step.path.slice(0, step.path.lastIndexOf("/"));
      if (step.sudo) runOrThrow(["sudo", "mkdir", "-p", dir], options.stopped);
      else Deno.mkdirSync(dir, { recursive: true });
    }
    if (step.kind === "write" && !step.sudo) {
      Deno.writeTextFileSync(step.path, step.content, { mode: 0o644 });
      log(`  wrote ${step.path}`);
      continue;
    }
    if (step.kind === "mkdir" && !step.sudo) {
      Deno.mkdirSync(step.path, { recursive: true, mode: 0o700 });
      continue;
    }
    if (step.kind === "remove" && !step.sudo) {
      try {
        Deno.removeSync(step.path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      log(`  removed ${step.path}`);
      continue;
    }
    let staged: string | undefined;
    let argv: string[];
    if (step.kind === "write") {
      staged = Deno.makeTempFileSync({ prefix: options.stagePrefix });
      Deno.writeTextFileSync(staged, step.content);
      argv = ["install", "-m", "0644", staged, step.path];
    } else if (step.kind === "remove") argv = ["rm", "-f", step.path];
    else if (step.kind === "mkdir") argv = ["mkdir", "-p", step.path];
    else argv = step.argv;
    const full = step.sudo ? ["sudo", ...argv] : argv;
    try {
      const result = runProgram(full);
      if (result.code !== 0 && !(step.kind === "run" && step.mayFail)) {
        throw new SystemError(`${options.stopped}: ${describeFailure(full, result)}`, { hint: options.hint });
      }
      log(`  ${full.join(" ")}`);
    } finally {
      if (staged) Deno.removeSync(staged);
    }
  }
}

function runOrThrow(argv: string[], stopped: string): void {
  const result = runProgram(argv);
  if (result.code !== 0) throw new SystemError(`${stopped}: ${describeFailure(argv, result)}`);
}
