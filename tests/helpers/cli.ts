/**
 * Test helpers: temp dirs, real git repositories, and running the real CLI entry point as a child
 * process with a temp registry (never the user's), NO_COLOR and a clean environment.
 */

/** Absolute path of the repository's `main.ts`. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** Absolute path of the repository root. */
export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** A temp directory removed by `cleanup()`. */
export interface TempDir {
  path: string;
  cleanup(): Promise<void>;
}

/**
 * Creates a temp directory (realpath, so comparisons with git's answers hold), in `dir` when given
 * (default: the system's temp directory, `TMPDIR`).
 */
export async function tempDir(prefix = "treehouse-test-", dir?: string): Promise<TempDir> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix, dir }));
  return {
    path,
    cleanup: async () => {
      try {
        await Deno.chmod(path, 0o700);
      } catch { /* gone already */ }
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Runs git in `cwd`, throwing with its stderr on failure; returns trimmed stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    env: GIT_ENV,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

/** Creates a git repository at `<parent>/<name>` on `branch` with one commit; returns its path. */
export async function makeRepo(parent: string, name = "app", branch = "main"): Promise<string> {
  const dir = `${parent}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await git(dir, "init", "-q", "-b", branch);
  await git(dir, "commit", "-q", "--allow-empty", "-m", "initial");
  return dir;
}

/** The result of running the CLI. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link cli}. */
export interface CliOptions {
  cwd?: string;
  /** Registry path; set as TREEHOUSE_DB. */
  db?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** What `deno run -A` runs instead of main.ts (e.g. `["--no-config", "<bundle>/main.js"]`). */
  entry?: string[];
}

/**
 * The IP range of each test file that starts servers, so parallel files never bind the same IP:port
 * (a port `freePort()` found free in one file could be taken by another file's server on a shared IP).
 * Used as TREEHOUSE_POOL when a call gives none. New server-starting files: add a line with a new octet.
 */
const SERVER_FILE_POOLS: Record<string, number> = {
  "services/run/basic.test.ts": 101,
  "services/run/supervise.test.ts": 102,
  "services/run/liveness.test.ts": 103,
  "services/run/mdns.test.ts": 104,
  "services/run/signals.test.ts": 105,
  "services/run/project.test.ts": 106,
  "services/run/frameworks.test.ts": 107,
  "services/release.test.ts": 108,
  "services/https/run.test.ts": 109,
  "services/https/browser.test.ts": 110,
  "cli/control_https.test.ts": 121,
  "cli/detach_consent.test.ts": 122,
  "cli/control_warnings.test.ts": 123,
  "cli/control_wait.test.ts": 124,
  "cli/control_reasons.test.ts": 125,
};

/** This test file's own pool (see {@link SERVER_FILE_POOLS}), or undefined for files that start no server. */
export function filePool(): string | undefined {
  const file = Deno.mainModule.slice(Deno.mainModule.indexOf("/tests/") + "/tests/".length);
  const octet = SERVER_FILE_POOLS[file];
  return octet === undefined ? undefined : `127.0.${octet}.10-127.0.${octet}.250`;
}

/** Environment for CLI children: inherits PATH/HOME, drops TREEHOUSE_* and git overrides. */
export function childEnv(options: CliOptions = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (k.startsWith("TREEHOUSE_") || k.startsWith("GIT_") || k === "PORT") continue;
    env[k] = v;
  }
  env.NO_COLOR = "1";
  if (options.db) env.TREEHOUSE_DB = options.db;
  const pool = filePool();
  if (pool !== undefined) env.TREEHOUSE_POOL = pool;
  return { ...env, ...options.env };
}

/** Runs `deno run -A main.ts ...args` and returns exit code, stdout and stderr. */
export async function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...(options.entry ?? [MAIN]), ...args],
    cwd: options.cwd ?? ROOT,
    env: childEnv(options),
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Reads a whole file as bytes (for "left byte-for-byte untouched" checks). */
export function bytes(path: string): Promise<Uint8Array> {
  return Deno.readFile(path);
}

/** Prints a visible reason why (part of) a test was skipped. */
export function skipped(reason: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`  skipped: ${reason}\n`));
}
