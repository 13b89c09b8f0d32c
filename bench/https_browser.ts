/**
 * A dev page of 300 ES modules loaded in Chromium (headless, playwright-core) through the HTTPS front
 * vs straight to the server over http. HTTP/1.1 both ways (the front offers only http/1.1, as a byte
 * pipe must), so the browser opens at most 6 connections per host either way. Reported, no goal.
 * Skipped without /usr/bin/chromium. Run alone: `deno run -A bench/https_browser.ts`.
 */
// deno-lint-ignore-file no-console -- a benchmark script reports on stdout
import { leafNames } from "../src/core/tls.ts";
import { tlsPaths } from "../src/services/tls/files.ts";
import { leafFor } from "../src/services/tls/leaf.ts";
import { type BenchResult, median } from "./lib.ts";

const DENO = Deno.execPath();
const IP = "127.0.3.93";
const CHROMIUM = "/usr/bin/chromium";
const SERVER = new URL("./fixtures/modules_server.ts", import.meta.url).pathname;
const FRONT = new URL("./fixtures/front.ts", import.meta.url).pathname;
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function startProcess(args: string[]): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(DENO, { args, stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("listening")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${args.join(" ")} exited before listening`);
    seen += value;
  }
  reader.releaseLock();
  return child;
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  await child.stdout.cancel().catch(() => {});
  await child.status;
}

/** Median time for the 300-module page through the front vs straight, in one browser. */
export async function benchBrowser(rounds = 7): Promise<BenchResult[]> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    console.log("skipped: the browser benchmark needs /usr/bin/chromium");
    return [];
  }
  const dir = await Deno.makeTempDir({ prefix: "treehouse-bench-browser-" });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const frontPort = port + 1;
  const server = await startProcess(["run", "-A", "--quiet", SERVER, IP, String(port), "300"]);
  let front: Deno.ChildProcess | undefined;
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const leaf = await leafFor(
      tlsPaths(dir),
      "bench.local",
      leafNames("bench.local", "bench", IP),
      Date.now(),
    );
    front = await startProcess([
      "run",
      "-A",
      "--quiet",
      FRONT,
      IP,
      String(port),
      String(frontPort),
      leaf.certFile,
      leaf.keyFile,
    ]);
    // The page trusts nothing new: certificate errors are ignored for the bench (trust is tested elsewhere).
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const load = async (url: string) => {
      const page = await context.newPage();
      const start = performance.now();
      await page.goto(url);
      await page.waitForFunction("globalThis.done === true");
      const elapsed = performance.now() - start;
      await page.close();
      return elapsed;
    };
    const direct: number[] = [];
    const through: number[] = [];
    await load(`http://${IP}:${port}/`); // warm-up: browser caches, TLS session
    await load(`https://${IP}:${frontPort}/`);
    for (let i = 0; i < rounds; i++) {
      direct.push(await load(`http://${IP}:${port}/`));
      through.push(await load(`https://${IP}:${frontPort}/`));
    }
    const a = median(through);
    const b = median(direct);
    return [{
      name: "A 300-module dev page in Chromium through the HTTPS front vs straight over http (HTTP/1.1 both)",
      ratio: a / b,
      goal: "reported",
      detail: `${a.toFixed(0)} ms vs ${b.toFixed(0)} ms (median of ${rounds})`,
    }];
  } finally {
    await browser.close();
    if (front) await stop(front);
    await stop(server);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  for (const r of await benchBrowser()) {
    console.log(`${r.ratio.toFixed(2)}×  (goal ${r.goal})  ${r.name}: ${r.detail}`);
  }
}
