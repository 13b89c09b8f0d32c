// deno-lint-ignore-file no-console -- a benchmark script reports on stdout
/**
 * The HTTPS front (`run --https`) against the server straight, in the same run:
 * - median latency of 1,000 small keep-alive GETs through the front (https) vs straight (http), goal ≤ 1.15×;
 * - throughput of a 50 MB body through the front vs straight, goal ≥ 0.8×.
 * The server doing TLS itself (Deno's rustls) is measured too: the floor of any TLS front here.
 * Server and front run as their own processes, as under `treehouse run --https`; the client is
 * this process (fetch, one keep-alive connection, the local CA trusted through `caCerts`).
 *
 * Run alone: `deno run -A bench/https_front.ts`.
 */
import { leafNames } from "../src/core/tls.ts";
import { tlsPaths } from "../src/services/tls/files.ts";
import { leafFor } from "../src/services/tls/leaf.ts";
import { type BenchResult, median } from "./lib.ts";

const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

const DENO = Deno.execPath();
const IP = "127.0.3.90";
const SERVER = new URL("./fixtures/bench_server.ts", import.meta.url).pathname;
const FRONT = new URL("./fixtures/front.ts", import.meta.url).pathname;

function freePort(): number {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    try {
      Deno.listen({ hostname: IP, port }).close();
      return port;
    } catch { /* taken */ }
  }
}

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
  for (const stream of ["stdout", "stderr"] as const) {
    try {
      await child[stream].cancel();
    } catch { /* not piped */ }
  }
  await child.status;
}

/** Median latency of `n` sequential GETs on one keep-alive connection (after 50 warm-up requests). */
async function latency(url: string, client: Deno.HttpClient, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n + 50; i++) {
    const start = performance.now();
    const response = await fetch(url, { client });
    await response.arrayBuffer();
    if (i >= 50) times.push(performance.now() - start);
  }
  return median(times);
}

/** Best of three downloads of the 50 MB body, in MB/s. */
async function throughput(url: string, client: Deno.HttpClient): Promise<number> {
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const response = await fetch(url, { client });
    let bytes = 0;
    for await (const chunk of response.body!) bytes += chunk.length;
    const seconds = (performance.now() - start) / 1000;
    best = Math.max(best, bytes / 1e6 / seconds);
  }
  return best;
}

/**
 * The same two measurements with curl as the client (one process, one keep-alive connection): its TLS
 * is cheaper than Deno's fetch, which otherwise caps what any TLS server can show here.
 */
async function curlLatency(url: string, ca: string, n: number): Promise<number> {
  const config = Array.from({ length: n + 50 }, () => `url = "${url}"\noutput = "/dev/null"\n`).join("");
  const out = await new Deno.Command("curl", {
    args: ["-s", "--cacert", ca, "-w", "%{time_total}\n", "-K", "-"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(config));
  await writer.close();
  const text = new TextDecoder().decode((await out.output()).stdout);
  const times = text.trim().split("\n").map(Number).slice(50);
  return median(times) * 1000;
}

async function curlThroughput(url: string, ca: string): Promise<number> {
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const out = await new Deno.Command("curl", {
      args: ["-s", "--cacert", ca, "-o", "/dev/null", "-w", "%{speed_download}", url],
      stdout: "piped",
    }).output();
    best = Math.max(best, Number(new TextDecoder().decode(out.stdout)) / 1e6);
  }
  return best;
}

async function hasCurl(): Promise<boolean> {
  try {
    return (await new Deno.Command("curl", { args: ["--version"], stdout: "null" }).output()).success;
  } catch {
    return false;
  }
}

/** Latency and throughput through the front vs straight to the server. */
export async function benchFront(): Promise<BenchResult[]> {
  const dir = await Deno.makeTempDir({ prefix: "treehouse-bench-tls-" });
  const serverPort = freePort();
  const frontPort = freePort();
  const server = await startProcess(["run", "-A", "--quiet", SERVER, IP, String(serverPort)]);
  let front: Deno.ChildProcess | undefined;
  let tlsServer: Deno.ChildProcess | undefined;
  const client = Deno.createHttpClient({});
  try {
    const leaf = await leafFor(
      tlsPaths(dir),
      "bench.local",
      leafNames("bench.local", "bench", IP),
      Date.now(),
    );
    const tlsPort = freePort();
    tlsServer = await startProcess([
      "run",
      "-A",
      "--quiet",
      SERVER,
      IP,
      String(tlsPort),
      leaf.certFile,
      leaf.keyFile,
    ]);
    front = await startProcess([
      "run",
      "-A",
      "--quiet",
      FRONT,
      IP,
      String(serverPort),
      String(frontPort),
      leaf.certFile,
      leaf.keyFile,
    ]);
    const tlsClient = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(leaf.caFile)] });
    try {
      const direct = `http://${IP}:${serverPort}`;
      const through = `https://${IP}:${frontPort}`;
      const latDirect = await latency(`${direct}/`, client, 1000);
      const latFront = await latency(`${through}/`, tlsClient, 1000);
      const tpDirect = await throughput(`${direct}/big`, client);
      const tpFront = await throughput(`${through}/big`, tlsClient);
      const tpTls = await throughput(`https://${IP}:${tlsPort}/big`, tlsClient);
      const latTls = await latency(`https://${IP}:${tlsPort}/`, tlsClient, 1000);
      const withCurl: BenchResult[] = [];
      if (await hasCurl()) {
        const ca = leaf.caFile;
        const cd = await curlLatency(`${direct}/`, ca, 1000);
        const cf = await curlLatency(`${through}/`, ca, 1000);
        const ct = await curlLatency(`https://${IP}:${tlsPort}/`, ca, 1000);
        const td = await curlThroughput(`${direct}/big`, ca);
        const tf = await curlThroughput(`${through}/big`, ca);
        const tt = await curlThroughput(`https://${IP}:${tlsPort}/big`, ca);
        withCurl.push(
          {
            name: "curl: 1,000 keep-alive GETs through the HTTPS front vs straight (median latency)",
            ratio: cf / cd,
            goal: "≤ 1.15×",
            detail: `${us(cf)} vs ${us(cd)}: the front adds ${us(cf - cd)}; the server doing TLS itself: ${
              us(ct)
            }`,
          },
          {
            name: "curl: 50 MB body through the HTTPS front vs straight (throughput)",
            ratio: tf / td,
            goal: "≥ 0.8×",
            detail:
              `${tf.toFixed(0)} MB/s vs ${td.toFixed(0)} MB/s (best of 3); the server doing TLS itself: ` +
              `${tt.toFixed(0)} MB/s`,
          },
        );
      }
      return [
        ...withCurl,
        {
          name: "1,000 keep-alive GETs through the HTTPS front vs straight to the server (median latency)",
          ratio: latFront / latDirect,
          goal: "≤ 1.15×",
          detail:
            `${us(latFront)} vs ${us(latDirect)} per request: the front adds ${us(latFront - latDirect)}; ` +
            `the server doing TLS itself: ${us(latTls)}`,
        },
        {
          name: "50 MB body through the HTTPS front vs straight (throughput)",
          ratio: tpFront / tpDirect,
          goal: "≥ 0.8×",
          detail:
            `${tpFront.toFixed(0)} MB/s vs ${tpDirect.toFixed(0)} MB/s (best of 3); the server doing TLS ` +
            `itself: ${tpTls.toFixed(0)} MB/s, so the front keeps ${
              (tpFront / tpTls).toFixed(2)
            }× of Deno's TLS speed`,
        },
      ];
    } finally {
      tlsClient.close();
    }
  } finally {
    client.close();
    if (front) await stop(front);
    if (tlsServer) await stop(tlsServer);
    await stop(server);
    await Deno.remove(dir, { recursive: true });
  }
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const EXAMPLE = new URL("../examples/server.ts", import.meta.url).pathname;

/** Polls `url` until it answers (any status); the time since `start`. */
async function firstAnswer(url: string, start: number, client: Deno.HttpClient, child: Deno.ChildProcess) {
  let exited = false;
  child.status.then(() => (exited = true));
  for (;;) {
    try {
      const response = await fetch(url, { client });
      await response.body?.cancel();
      return performance.now() - start;
    } catch {
      if (exited) throw new Error(`the run exited before ${url} answered`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** `run --https` until the first https answer vs `run` until the first http answer (certificate cached). */
export async function benchRunHttps(rounds = 10): Promise<BenchResult> {
  const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-run-https-" });
  const env = {
    TREEHOUSE_DB: `${tmp}/data/registry.db`,
    NO_COLOR: "1",
    TREEHOUSE_POOL: "127.0.3.91-127.0.3.92",
  };
  const port = freePort();
  const start = (https: boolean, stderr: "piped" | "null") =>
    new Deno.Command(DENO, {
      args: [
        "run",
        "-A",
        "--quiet",
        MAIN,
        "run",
        ...(https ? ["--https"] : ["--quiet"]),
        "--no-mdns",
        "--branch",
        "bench-https",
        "--project",
        tmp,
        "--port",
        String(port),
        "--",
        DENO,
        "run",
        "--quiet",
        "--allow-net",
        "--allow-env",
        EXAMPLE,
      ],
      env,
      stdin: "null",
      stdout: "null",
      stderr,
    }).spawn();
  try {
    // Warm-up: makes the CA and the leaf (cached after), and tells the https URL from the banner.
    const first = start(true, "piped");
    const reader = first.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let banner = "";
    while (!/^ {2}Server /m.test(banner)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`run --https exited: ${banner}`);
      banner += value;
    }
    reader.releaseLock();
    const httpsUrl = /^ {2}HTTPS\s+(\S+)/m.exec(banner)?.[1] ?? "";
    const ip = /^ {2}IP\s+(\S+)/m.exec(banner)?.[1] ?? "";
    await stop(first);
    const target = new URL(httpsUrl);
    target.hostname = ip; // the leaf carries the IP too: no name resolution in the loop
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(`${tmp}/data/tls/ca.pem`)] });
    const plain: number[] = [];
    const tls: number[] = [];
    try {
      for (let i = 0; i < rounds; i++) {
        for (const https of [false, true]) {
          const t0 = performance.now();
          const child = start(https, "null");
          const url = https ? target.href : `http://${ip}:${port}/`;
          (https ? tls : plain).push(await firstAnswer(url, t0, client, child));
          await stop(child);
        }
      }
    } finally {
      client.close();
    }
    const a = median(tls);
    const b = median(plain);
    return {
      name: "`run --https` until the first https answer vs `run` until the first http answer (leaf cached)",
      ratio: a / b,
      goal: "≤ +20 ms",
      detail: `${a.toFixed(1)} ms vs ${b.toFixed(1)} ms (median of ${rounds}): +${(a - b).toFixed(1)} ms${
        a - b <= 20 ? "" : ": NOT met"
      }; from the source tree`,
    };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  for (const r of [...await benchFront(), await benchRunHttps()]) {
    console.log(`${r.ratio.toFixed(2)}×  (goal ${r.goal})  ${r.name}: ${r.detail}`);
  }
}
