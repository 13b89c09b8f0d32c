/** Test helpers for `treehouse dashboard`: start it on a free port, read its URL and token. */
import type { CliOptions } from "./cli.ts";
import { type Background, startCli, waitUntil } from "./harness.ts";

/** A running dashboard. */
export interface Dashboard {
  cli: Background;
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  host: string;
  /** The token embedded in the page. */
  token: string;
  /** SIGINTs it (as Ctrl-C) and waits; SIGKILL if it does not end. */
  stop(): Promise<number>;
}

/** Starts `treehouse dashboard --listen 127.0.0.1:0` and reads the URL from its first line. */
export async function startDashboard(options: CliOptions): Promise<Dashboard> {
  const cli = startCli(["dashboard", "--listen", "127.0.0.1:0"], options);
  let exited = false;
  cli.status.then(() => (exited = true));
  await waitUntil(() => cli.stdout().includes("\n") || exited, 20_000, "the dashboard's URL");
  const url = cli.stdout().split("\n")[0] ?? "";
  if (!url.startsWith("http://")) {
    throw new Error(`no URL from the dashboard:\n${cli.stdout()}\n${cli.stderr()}`);
  }
  const page = await (await fetch(url)).text();
  const boot = /<script id="boot" type="application\/json">(.*?)<\/script>/s.exec(page)?.[1] ?? "{}";
  const token = String(JSON.parse(boot).token);
  return {
    cli,
    url,
    host: new URL(url).host,
    token,
    async stop() {
      if (!exited) {
        try {
          Deno.kill(cli.pid, "SIGINT");
        } catch { /* gone */ }
      }
      const timer = setTimeout(() => cli.ensureDead(), 10_000);
      try {
        return await cli.status;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs curl with `args` and returns the HTTP status code. */
export async function curlStatus(args: string[]): Promise<number> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...args],
    stdout: "piped",
    stderr: "null",
  }).output();
  return Number(new TextDecoder().decode(out.stdout));
}
