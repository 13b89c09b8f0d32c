/**
 * `treehouse run` with nothing typed (issue 16): the project's `[run]` command (config read, preset
 * applied, consent checked) until the server answers, vs the same command typed out in full after
 * `--` from a directory without a treehouse.toml (goal ≤ 1.05× + 5 ms). Both run the same branch's
 * allocation and port, alternating, from the source tree.
 *
 * Run alone: `deno run -A bench/run_project.ts`.
 */
import { type BenchResult, freePort, MAIN, median, ms, untilAnswers } from "./lib.ts";

const DENO = Deno.execPath();

async function git(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    env: {
      GIT_AUTHOR_NAME: "b",
      GIT_AUTHOR_EMAIL: "b@b",
      GIT_COMMITTER_NAME: "b",
      GIT_COMMITTER_EMAIL: "b@b",
    },
    stdout: "null",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")} failed`);
}

/** The `[run]` benchmark. */
export async function benchRunProject(rounds = 10): Promise<BenchResult[]> {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "treehouse-bench-project-" }));
  const repo = `${tmp}/app`;
  const env = { TREEHOUSE_DB: `${tmp}/registry.db`, NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" };
  try {
    await Deno.mkdir(repo);
    await git(repo, "init", "-q", "-b", "main");
    await git(repo, "commit", "-q", "--allow-empty", "-m", "i");
    const port = freePort();
    // The system's python3 when there is one: a version manager's shim (pyenv) adds ~0.4 s of noise.
    const python = (() => {
      try {
        return Deno.statSync("/usr/bin/python3").isFile ? "/usr/bin/python3" : "python3";
      } catch {
        return "python3";
      }
    })();
    const server = [python, "-m", "http.server", "--directory", tmp];
    await Deno.writeTextFile(
      `${repo}/treehouse.toml`,
      `[run]\ncommand = ${JSON.stringify(server)}\nport = ${port}\n`,
    );
    const ipOut = await new Deno.Command(DENO, {
      args: ["run", "-A", "--quiet", MAIN, "ip"],
      cwd: repo,
      env,
      stdout: "piped",
    })
      .output();
    const ip = new TextDecoder().decode(ipOut.stdout).trim();
    const url = `http://${ip}:${port}/`;
    const once = async (args: string[], cwd: string) => {
      const start = performance.now();
      const child = new Deno.Command(DENO, {
        args: ["run", "-A", "--quiet", MAIN, "run", "--quiet", "--no-mdns", ...args],
        cwd,
        env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        return await untilAnswers(url, start, child);
      } finally {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        await child.status;
      }
    };
    const project = () => once(["--yes"], repo);
    const typed = () =>
      once([
        "--project",
        repo,
        "--branch",
        "main",
        "--port",
        String(port),
        "--",
        ...server,
        "--bind",
        "{ip}",
        "{port}",
      ], tmp);
    await project(); // warm the caches
    await typed();
    const p: number[] = [];
    const t: number[] = [];
    for (let i = 0; i < rounds; i++) {
      p.push(await project());
      t.push(await typed());
    }
    const a = median(p);
    const b = median(t);
    const budget = 1.05 * b + 5;
    return [{
      name: "`treehouse run` ([run] + preset) until it answers vs the command typed out after `--`",
      ratio: a / b,
      goal: "≤ 1.05× + 5 ms",
      detail: `${ms(a)} vs ${ms(b)} (median of ${rounds}, python3 http.server); budget ${ms(budget)}: ${
        a <= budget ? "met" : "NOT met"
      }`,
    }];
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  for (const r of await benchRunProject()) {
    Deno.stdout.writeSync(
      new TextEncoder().encode(`${r.ratio.toFixed(2)}×  (goal ${r.goal})  ${r.name}: ${r.detail}\n`),
    );
  }
}
