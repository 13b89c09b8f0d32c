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

/**
 * How the bundle is run (the README's install of it): no config, and chunks loaded when imported rather
 * than every statically analyzable dynamic import at start-up.
 */
export const BUNDLE_FLAGS = ["--no-config", "--unstable-lazy-dynamic-imports"];

/** Bundles main.ts into `dir` with the project's own `deno task bundle` arguments; returns the entry. */
export async function bundle(dir: string): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const args = String(config.tasks.bundle).split(" ").slice(1).map((a, i, all) =>
    all[i - 1] === "--outdir" ? dir : a === "main.ts" ? MAIN : a
  );
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`deno bundle failed: ${new TextDecoder().decode(out.stderr)}`);
  return `${dir}/main.js`;
}

/** A process's memory in KiB: resident (`VmRSS`) and private (`Private_Clean + Private_Dirty`, Linux). */
export interface Memory {
  rss: number;
  private: number;
}

/** Reads a process's resident and private memory from /proc (Linux). */
export function memoryOf(pid: number): Memory {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const field = (text: string, name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
  return {
    rss: field(status, "VmRSS"),
    private: field(rollup, "Private_Clean") + field(rollup, "Private_Dirty"),
  };
}

/** Formats KiB as MiB with one decimal. */
export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

/** A TCP port free on every address right now (bench servers bind it next). */
export function freePort(): number {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    try {
      Deno.listen({ hostname: "0.0.0.0", port }).close();
      return port;
    } catch { /* taken: try another */ }
  }
}

/** Polls `url` every `pollMs` until it answers; returns the time since `start` (throws if `child` exits first). */
export async function untilAnswers(
  url: string,
  start: number,
  child: Deno.ChildProcess,
  pollMs = 5,
): Promise<number> {
  let exited = false;
  child.status.then(() => (exited = true));
  for (;;) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      return performance.now() - start;
    } catch {
      if (exited) throw new Error(`the server exited before answering ${url}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
