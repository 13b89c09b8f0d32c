// deno-lint-ignore-file no-console -- a benchmark script reports on stdout
/**
 * The HTTPS front (`run --https`) against the server straight, in the same run:
 * - median latency of 1,000 small keep-alive GETs through the front (https) vs straight (http), goal ≤ 1.15×;
 * - throughput of a 50 MB body through the front vs straight, goal ≥ 0.8×.
 * The server doing TLS itself (Deno's rustls) is measured too: the floor of any TLS front here.
 * Server and front run as their own processes, as under `treehouse run --https`; the client is
 * this process (fetch, one keep-alive connection, the local CA trusted through `caCerts`), and curl.
 * With curl, two more floors in the same run: Deno's bare TLS (`fixtures/tls_source.ts`: `listenTls`
 * answering by hand from memory, no upstream) and `openssl s_server -WWW` (OpenSSL on both ends).
 *
 * Run alone: `deno run -A bench/https_front.ts`.
 */
import { leafNames } from "../src/core/tls.ts";
import { tlsPaths } from "../src/services/tls/files.ts";
import { leafFor } from "../src/services/tls/leaf.ts";
import { type BenchResult, bundle, BUNDLE_FLAGS, median } from "./lib.ts";

const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

const DENO = Deno.execPath();
const IP = "127.0.3.90";
const SERVER = new URL("./fixtures/bench_server.ts", import.meta.url).pathname;
const FRONT = new URL("./fixtures/front.ts", import.meta.url).pathname;
const TLS_SOURCE = new URL("./fixtures/tls_source.ts", import.meta.url).pathname;
const load = () => `load average ${(Deno.loadavg()[0] ?? 0).toFixed(1)}`;

function freePort(): number {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    try {
      Deno.listen({ hostname: IP, port }).close();
      return port;
    } catch { /* taken */ }
  }
}

/** Starts `cmd args` (Deno by default) and waits until it prints "listening". */
export async function startProcess(args: string[], cmd = DENO): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "inherit" }).spawn();
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

export async function stop(child: Deno.ChildProcess): Promise<void> {
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
export async function latency(url: string, client: Deno.HttpClient, n: number): Promise<number> {
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
export async function curlLatency(
  url: string,
  ca: string,
  n: number,
  extra: string[] = [],
): Promise<number[]> {
  const config = Array.from({ length: n + 50 }, () => `url = "${url}"\noutput = "/dev/null"\n`).join("");
  const out = await new Deno.Command("curl", {
    args: ["-s", "--cacert", ca, ...extra, "-w", "%{time_total}\n", "-K", "-"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(config));
  await writer.close();
  const text = new TextDecoder().decode((await out.output()).stdout);
  return text.trim().split("\n").map(Number).slice(50).map((s) => s * 1000);
}

/** One download of the 50 MB body by curl, in MB/s. */
async function curlThroughput(url: string, ca: string): Promise<number> {
  const out = await new Deno.Command("curl", {
    args: ["-s", "--cacert", ca, "-o", "/dev/null", "-w", "%{speed_download}", url],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(out.stdout)) / 1e6;
}

/**
 * Each measurement of `urls` in turn, `rounds` times over (the machine's load changes by the second:
 * interleaved, every URL sees the same); the median per URL.
 */
export async function interleaved(
  urls: readonly string[],
  rounds: number,
  measure: (url: string) => Promise<number | number[]>,
): Promise<number[]> {
  const values = urls.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, url] of urls.entries()) values[i]!.push(...[await measure(url)].flat());
  }
  return values.map(median);
}

/**
 * `openssl s_server -WWW` serving a 50 MB file `big` from `dir` on `port` (HTTP/1.0, one request per
 * connection): OpenSSL's TLS speed on this machine. `undefined` without openssl.
 */
async function opensslServer(dir: string, port: number, leaf: { certFile: string; keyFile: string }) {
  await Deno.writeFile(`${dir}/big`, new Uint8Array(50 * 1024 * 1024).fill(97));
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("openssl", {
      args: [
        "s_server",
        "-quiet",
        "-accept",
        `${IP}:${port}`,
        "-cert",
        leaf.certFile,
        "-key",
        leaf.keyFile,
        "-WWW",
      ],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch {
    return undefined;
  }
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: IP, port })).close();
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  child.kill("SIGKILL");
  await child.status;
  return undefined;
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
  let rawTls: Deno.ChildProcess | undefined;
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
    const rawPort = freePort();
    rawTls = await startProcess([
      "run",
      "-A",
      "--quiet",
      TLS_SOURCE,
      IP,
      String(rawPort),
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
        const bare = `https://${IP}:${rawPort}`;
        const itself = `https://${IP}:${tlsPort}`;
        const [cd = 0, cf = 0, ct = 0, cb = 0] = await interleaved(
          [direct, through, itself, bare],
          4,
          (url) => curlLatency(`${url}/`, ca, 250),
        );
        const opensslPort = freePort();
        const openssl = await opensslServer(dir, opensslPort, leaf);
        const opensslUrl = openssl ? [`https://${IP}:${opensslPort}`] : [];
        let td = 0, tf = 0, tt = 0, tb = 0;
        let to: number | undefined;
        try {
          [td = 0, tf = 0, tt = 0, tb = 0, to] = await interleaved(
            [direct, through, itself, bare, ...opensslUrl],
            5,
            (url) => curlThroughput(`${url}/big`, ca),
          );
        } finally {
          if (openssl) {
            openssl.kill("SIGTERM");
            await openssl.status;
          }
        }
        withCurl.push(
          {
            name: "curl: 4 × 250 keep-alive GETs through the HTTPS front vs straight (median latency)",
            ratio: cf / cd,
            goal: "≤ 1.15×",
            detail: `${us(cf)} vs ${us(cd)}: the front adds ${us(cf - cd)}; floors: the server doing TLS ` +
              `itself ${us(ct)}, Deno's bare TLS ${us(cb)} (${(cb / cd).toFixed(2)}×); ${load()}`,
          },
          {
            name: "curl: 50 MB body through the HTTPS front vs straight (throughput)",
            ratio: tf / td,
            goal: "≥ 0.8×",
            detail:
              `${tf.toFixed(0)} MB/s vs ${
                td.toFixed(0)
              } MB/s (median of 5, interleaved); floors: the server doing ` +
              `TLS itself ${tt.toFixed(0)} MB/s, Deno's bare TLS ${tb.toFixed(0)} MB/s (${
                (tb / td).toFixed(2)
              }×)${
                to === undefined ? "" : `, openssl s_server ${to.toFixed(0)} MB/s (${(to / td).toFixed(2)}×)`
              }`,
          },
          {
            name: "curl: 50 MB body through the HTTPS front vs Deno's bare TLS (how close to the floor)",
            ratio: tf / tb,
            goal: "reported",
            detail: `${tf.toFixed(0)} MB/s vs ${tb.toFixed(0)} MB/s`,
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
    if (rawTls) await stop(rawTls);
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
export async function benchRunHttps(rounds = 10, bundled = false): Promise<BenchResult> {
  const tmp = await Deno.makeTempDir({ prefix: "treehouse-bench-run-https-" });
  // The bundle is what releases are compiled from: lazily imported modules come as one chunk each.
  const entry = bundled ? [...BUNDLE_FLAGS, await bundle(`${tmp}/bundle`)] : [MAIN];
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
        ...entry,
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
    // The server's own port is polled by a second client in every round (the same load both ways): in the
    // https rounds the front's own delay is its first answer minus the server's, in the same run.
    const own: number[] = [];
    const serverClient = Deno.createHttpClient({});
    try {
      for (let i = 0; i < rounds; i++) {
        for (const https of [false, true]) {
          const t0 = performance.now();
          const child = start(https, "null");
          const direct = `http://${ip}:${port}/`;
          if (!https) {
            const [answer] = await Promise.all([
              firstAnswer(direct, t0, client, child),
              firstAnswer(direct, t0, serverClient, child),
            ]);
            plain.push(answer);
          } else {
            const [front, server] = await Promise.all([
              firstAnswer(target.href, t0, client, child),
              firstAnswer(direct, t0, serverClient, child),
            ]);
            tls.push(front);
            own.push(front - server);
          }
          await stop(child);
        }
      }
    } finally {
      client.close();
      serverClient.close();
    }
    const a = median(tls);
    const b = median(plain);
    return {
      name:
        `\`run --https\` until the first https answer vs \`run\` until the first http answer (leaf cached${
          bundled ? ", bundled" : ""
        })`,
      ratio: a / b,
      goal: "≤ +20 ms",
      detail: `${a.toFixed(1)} ms vs ${b.toFixed(1)} ms (median of ${rounds}): +${(a - b).toFixed(1)} ms${
        a - b <= 20 ? "" : ": NOT met"
      }; of which the front after the server's own answer: ${median(own).toFixed(1)} ms; ${
        bundled ? "bundled" : "from the source tree"
      }; ${load()}`,
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
