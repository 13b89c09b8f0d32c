/** Shared benchmark helpers: timing real processes and reporting ratios against a floor. */

/** One benchmark result: a ratio against a floor measured in the same run. */
export interface BenchResult {
  name: string;
  ratio: number;
  goal: string;
  detail: string;
}

/** Absolute path of the repository's `main.ts`. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** The hello-world floor script. */
export const HELLO = new URL("./fixtures/hello.ts", import.meta.url).pathname;

/** Runs a command to completion and returns its wall time in ms; throws when it fails. */
export async function timeCommand(
  cmd: string,
  args: string[],
  options: Deno.CommandOptions = {},
): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(cmd, { ...options, args, stdout: "null", stderr: "piped" }).output();
  const elapsed = performance.now() - start;
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return elapsed;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Formats milliseconds with one decimal. */
export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}
