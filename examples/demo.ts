/**
 * `deno task demo`: two branches of the same app side by side on the same port, each on its own IP
 * and `.local` name, in under a minute. Uses a throw-away registry so yours is untouched.
 *
 *   deno task demo            # runs until Ctrl-C
 *   deno task demo --once     # starts both, shows them, stops them (used by the tests)
 *
 * DEMO_PORT picks the port (default 4000).
 */
// deno-lint-ignore-file no-console -- a demo script talks to its user
const root = new URL("..", import.meta.url).pathname;
const main = `${root}main.ts`;
const server = `${root}examples/server.ts`;
const port = Deno.env.get("DEMO_PORT") ?? "4000";
const once = Deno.args.includes("--once");
const dir = await Deno.makeTempDir({ prefix: "treehouse-demo-" });
const env = { TREEHOUSE_DB: `${dir}/registry.db` };

const treehouse = (
  args: string[],
  piped = false,
  stderr: "piped" | "inherit" = piped ? "piped" : "inherit",
) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", main, ...args],
    env,
    stdin: "null",
    stdout: piped ? "piped" : "inherit",
    stderr,
  });

/** Passes a wrapper's messages through to ours and counts its "ready at" lines. */
let readyCount = 0;
async function relay(stream: ReadableStream<Uint8Array>): Promise<void> {
  let line = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    Deno.stderr.writeSync(new TextEncoder().encode(text));
    line += text;
    const lines = line.split("\n");
    line = lines.pop() ?? "";
    readyCount += lines.filter((l) => /ready at /.test(l)).length;
  }
}

const branches = ["main", "feature/login"];
console.log(`Starting two branches of ${server} on port ${port}…\n`);
const wrappers = branches.map((branch) =>
  treehouse(
    [
      "run",
      "--branch",
      branch,
      "--project",
      `${root}examples`,
      "--app",
      "demo",
      "--port",
      port,
      "--ready",
      port,
      "--ready-timeout",
      "30",
      "--",
      Deno.execPath(),
      "run",
      "--allow-net",
      "--allow-env",
      server,
    ],
    false,
    "piped",
  ).spawn()
);
const relayed = Promise.all(wrappers.map((w) => relay(w.stderr)));

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const w of wrappers) {
    try {
      w.kill("SIGTERM");
    } catch { /* already gone */ }
  }
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
const exited = Promise.all(wrappers.map((w) => w.status));

try {
  const list = treehouse(["list", "--all", "--json"], true);
  let rows: { branch: string; ip: string; url: string; port: number | null; running: boolean }[] = [];
  for (let i = 0; i < 300 && !stopping; i++) {
    rows = JSON.parse(new TextDecoder().decode((await list.output()).stdout) || "[]");
    const answers = await Promise.all(
      rows.map((r) => fetch(`http://${r.ip}:${port}/json`).then((res) => res.json()).catch(() => undefined)),
    );
    // Both wrappers said "ready at …" and recorded their port: what the lines below show is settled.
    const settled = rows.length === branches.length && readyCount === branches.length &&
      rows.every((r) => r.running && r.port === Number(port));
    if (settled && answers.every(Boolean)) {
      console.log("\nBoth answer on the same port:");
      for (const [i, r] of rows.entries()) {
        const a = answers[i] as { branch: string; database: string };
        console.log(`  http://${r.ip}:${port}  ${r.url}  branch=${a.branch}  database=${a.database}`);
      }
      console.log(
        `\n${new TextDecoder().decode((await treehouse(["list", "--all"], true).output()).stdout)}`,
      );
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (once) stop();
  else console.log("Open the URLs above (the .local names need mDNS). Ctrl-C stops both.");
  const codes = await exited;
  if (!stopping) console.log(`A server stopped unexpectedly (exit codes ${codes.join(", ")})`);
} finally {
  stop();
  await exited;
  await relayed;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
