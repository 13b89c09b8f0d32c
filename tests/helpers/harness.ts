/**
 * Helpers for the `treehouse run` tests: the CLI started in the background, waiting for output or a
 * condition, free ports, and checks that processes are gone.
 */
import assert from "node:assert/strict";
import { childEnv, type CliOptions, MAIN, ROOT } from "./cli.ts";

/** Absolute path of the test server fixture. */
export const SERVER = new URL("../fixtures/server.ts", import.meta.url).pathname;
/** Absolute path of the fake mDNS announcer. */
export const FAKE_MDNS = new URL("../fixtures/fake-mdns", import.meta.url).pathname;
/** `deno run -A <server fixture>` as a command line for `treehouse run -- …`. */
export const SERVER_CMD = [Deno.execPath(), "run", "-A", "--quiet", SERVER];

/** `run --branch BRANCH --project PROJECT …rest`: how most `treehouse run` tests start. */
export function runArgs(branch: string, project: string, ...rest: string[]): string[] {
  return ["run", "--branch", branch, "--project", project, ...rest];
}

/**
 * `run` of the server fixture for BRANCH in PROJECT on `port`, mDNS off, ready when the port answers:
 * `run --branch B --project P --port N --no-mdns --ready N …flags -- <server fixture> …serverArgs`.
 */
export function serverRunArgs(
  branch: string,
  project: string,
  port: number,
  flags: readonly string[] = [],
  serverArgs: readonly string[] = [],
): string[] {
  return [
    ...runArgs(branch, project, "--port", String(port), "--no-mdns", "--ready", String(port), ...flags),
    "--",
    ...SERVER_CMD,
    ...serverArgs,
  ];
}

/** A CLI process running in the background. */
export interface Background {
  pid: number;
  /** Exit code (128+N for signal N). */
  status: Promise<number>;
  stderr(): string;
  stdout(): string;
  /** Waits until stderr matches `pattern`. */
  waitStderr(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILLs the CLI if it is still running and waits for it. */
  ensureDead(): Promise<void>;
}

/** Starts `treehouse ...args` without waiting for it. */
export function startCli(args: string[], options: CliOptions = {}): Background {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    cwd: options.cwd ?? ROOT,
    env: childEnv(options),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let err = "";
  let out = "";
  const read = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  const reading = Promise.all([
    read(child.stderr, (s) => (err += s)),
    read(child.stdout, (s) => (out += s)),
  ]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await reading;
    return s.code;
  });
  return {
    pid: child.pid,
    status,
    stderr: () => err,
    stdout: () => out,
    async waitStderr(pattern, timeoutMs = 20_000) {
      await waitUntil(() => pattern.test(err) || exited, timeoutMs, `stderr to match ${pattern}`);
      if (!pattern.test(err)) throw new Error(`CLI exited before stderr matched ${pattern}:\n${err}`);
      return err;
    },
    async ensureDead() {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
      await status;
    },
  };
}

/** Polls `check` every 50 ms until it is true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const HAS_PROC = (() => {
  try {
    return Deno.statSync("/proc/self/stat").isFile;
  } catch {
    return false;
  }
})();

/**
 * True when no running process has this pid (zombies count as gone). From /proc/<pid>/stat where
 * there is a /proc, else from `ps` (macOS): a missing /proc must not make every process look gone.
 */
export function isGone(pid: number): boolean {
  if (!HAS_PROC) {
    const out = new Deno.Command("ps", {
      args: ["-o", "stat=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    })
      .outputSync();
    const state = new TextDecoder().decode(out.stdout).trim();
    return !out.success || state === "" || state.startsWith("Z");
  }
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state === "Z" || state === "X";
  } catch {
    return true;
  }
}

/** Waits until every pid is gone. */
export function waitGone(pids: number[], timeoutMs = 8000): Promise<void> {
  return waitUntil(() => pids.every(isGone), timeoutMs, `processes ${pids.join(", ")} to end`);
}

/** SIGKILLs whatever of `pids` still runs (test clean-up). */
export function killAll(pids: (number | undefined)[]): void {
  for (const pid of pids) {
    if (pid === undefined || isGone(pid)) continue;
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** Reads a pid written by the fixture (waits for the file). */
export async function readPid(file: string, timeoutMs = 20_000): Promise<number> {
  let pid = 0;
  await waitUntil(
    () => {
      try {
        pid = Number(Deno.readTextFileSync(file).trim());
      } catch { /* not yet */ }
      return pid > 0;
    },
    timeoutMs,
    `pid file ${file}`,
  );
  return pid;
}

/** A port that is free on 127.0.0.1 now, in a range other tests are unlikely to pick. */
export function freePort(): number {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    try {
      Deno.listen({ hostname: "0.0.0.0", port }).close();
      return port;
    } catch { /* taken: try another */ }
  }
}

/** The value of the banner row `label` (e.g. HTTPS) in a run's stderr; fails the test when it is missing. */
export function bannerRow(stderr: string, label: string): string {
  const found = new RegExp(`^  ${label}\\s+(\\S+)`, "m").exec(stderr)?.[1];
  assert.ok(found, `banner row ${label} in:\n${stderr}`);
  return found;
}

/** Runs `curl -sS -m 20 …args`: its exit code, stdout and stderr. */
export async function curl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "-m", "20", ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** GETs a URL and parses the JSON answer. */
export async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  return await response.json();
}

/** The registry row of a branch (read directly, like a second process would). */
export async function registryRow(db: string, branch: string): Promise<Record<string, unknown> | undefined> {
  const { DatabaseSync } = await import("node:sqlite");
  const handle = new DatabaseSync(db, { readOnly: true });
  try {
    return handle.prepare("SELECT * FROM allocations WHERE branch = ?").get(branch) as
      | Record<string, unknown>
      | undefined;
  } finally {
    handle.close();
  }
}

/** A directory holding the fake announcer under `names` (e.g. `avahi-publish`, `dns-sd`). */
export async function fakeMdnsDir(dir: string, names: string[]): Promise<string> {
  const bin = `${dir}/fakebin`;
  await Deno.mkdir(bin, { recursive: true });
  for (const name of names) await Deno.symlink(FAKE_MDNS, `${bin}/${name}`);
  return bin;
}

/** Lines recorded by the fake announcer: `[name, pid, ...args]`. */
export function fakeMdnsLog(file: string): string[][] {
  try {
    return Deno.readTextFileSync(file).trim().split("\n").filter(Boolean).map((l) => l.split(" "));
  } catch {
    return [];
  }
}

/** Whether avahi-daemon runs here and avahi-utils is installed (the real mDNS tests need both). */
export function avahiRunning(): boolean {
  try {
    const check = new Deno.Command("avahi-daemon", { args: ["--check"], stdout: "null", stderr: "null" })
      .outputSync();
    const resolve = new Deno.Command("avahi-resolve", { args: ["--help"], stdout: "null", stderr: "null" })
      .outputSync();
    return check.success && resolve.code !== 127;
  } catch {
    return false;
  }
}
