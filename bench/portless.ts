// deno-lint-ignore-file no-console -- a benchmark script reports on stdout
/**
 * The HTTPS front side by side with portless 0.15.6 (npm, Node) proxying the same server, in the same
 * run: median latency of keep-alive GETs straight (http), through the front (https, HTTP/1.1) and
 * through portless's HTTPS proxy (HTTP/2 as a browser gets it, and HTTP/1.1), with curl and with
 * Deno's fetch, interleaved. Goal (issue 13): the front adds less than half of portless's added latency.
 *
 * Opt-in (`deno task bench portless`): it installs portless@0.15.6 with npm into a temp dir and runs it
 * with Node, with HOME and PORTLESS_STATE_DIR in that dir and `--skip-trust` (without it portless
 * writes its CA into the system store), on 127.0.0.1:18443 (`-p`, so nothing binds :80 or :443).
 * portless routes only `<name>.localhost` to `127.0.0.1:<port>`, so everything here is on 127.0.0.1.
 */
import { leafNames } from "../src/core/tls.ts";
import { tlsPaths } from "../src/services/tls/files.ts";
import { leafFor } from "../src/services/tls/leaf.ts";
import { curlLatency, interleaved, latency, startProcess, stop } from "./https_front.ts";
import { type BenchResult, freePort } from "./lib.ts";

const IP = "127.0.0.1";
const PORTLESS = "portless@0.15.6";
const PORTLESS_PORT = 18443;
const SERVER = new URL("./fixtures/bench_server.ts", import.meta.url).pathname;
const FRONT = new URL("./fixtures/front.ts", import.meta.url).pathname;
const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

async function ok(cmd: string, args: string[], options: Deno.CommandOptions = {}): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { ...options, args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** Straight vs front vs portless; `[]` (with a line on stderr saying why) when portless cannot run. */
export async function benchPortless(): Promise<BenchResult[]> {
  if (
    !await ok("node", ["--version"]) || !await ok("npm", ["--version"]) || !await ok("curl", ["--version"])
  ) {
    console.error("portless: skipped (needs node, npm and curl)");
    return [];
  }
  const dir = await Deno.makeTempDir({ prefix: "treehouse-bench-portless-" });
  const children: Deno.ChildProcess[] = [];
  try {
    if (!await ok("npm", ["install", "--no-audit", "--no-fund", "--prefix", dir, PORTLESS])) {
      console.error(`portless: skipped (npm install ${PORTLESS} failed)`);
      return [];
    }
    const cli = `${dir}/node_modules/portless/dist/cli.js`;
    const env = { HOME: `${dir}/home`, PORTLESS_STATE_DIR: `${dir}/state` };
    await Deno.mkdir(env.HOME);
    const serverPort = freePort();
    const frontPort = freePort();
    children.push(await startProcess(["run", "-A", "--quiet", SERVER, IP, String(serverPort)]));
    const leaf = await leafFor(
      tlsPaths(`${dir}/tls`),
      "bench.local",
      leafNames("bench.local", "bench", IP),
      Date.now(),
    );
    children.push(
      await startProcess([
        "run",
        "-A",
        "--quiet",
        FRONT,
        IP,
        String(serverPort),
        String(frontPort),
        leaf.certFile,
        leaf.keyFile,
      ]),
    );
    const proxy = new Deno.Command("node", {
      args: [cli, "proxy", "start", "-p", String(PORTLESS_PORT), "--foreground", "--skip-trust"],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    children.push(proxy);
    let listening = false;
    for (let i = 0; i < 300 && !listening; i++) {
      listening = await ok("curl", ["-sk", "-o", "/dev/null", `https://${IP}:${PORTLESS_PORT}/`]);
      if (!listening) await new Promise((r) => setTimeout(r, 20));
    }
    if (!listening || !await ok("node", [cli, "alias", "bench", String(serverPort)], { env })) {
      console.error("portless: skipped (its proxy did not start)");
      return [];
    }
    const portlessCa = `${env.PORTLESS_STATE_DIR}/ca.pem`;
    const resolve = ["--resolve", `bench.localhost:${PORTLESS_PORT}:${IP}`];
    const direct = `http://${IP}:${serverPort}/`;
    const front = `https://${IP}:${frontPort}/`;
    const portless = `https://bench.localhost:${PORTLESS_PORT}/`;
    const [cd = 0, cf = 0, ch2 = 0, ch1 = 0] = await interleaved(
      ["direct", "front", "h2", "h1"],
      4,
      (which) =>
        which === "direct"
          ? curlLatency(direct, leaf.caFile, 250)
          : which === "front"
          ? curlLatency(front, leaf.caFile, 250)
          : curlLatency(portless, portlessCa, 250, [...resolve, ...(which === "h1" ? ["--http1.1"] : [])]),
    );
    const plain = Deno.createHttpClient({});
    const ours = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(leaf.caFile)] });
    const theirs = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(portlessCa)] });
    let fd = 0, ff = 0, fp = 0;
    try {
      // fetch resolves *.localhost to loopback itself.
      [fd = 0, ff = 0, fp = 0] = await interleaved(
        ["direct", "front", "portless"],
        4,
        (which) =>
          which === "direct"
            ? latency(direct, plain, 250)
            : which === "front"
            ? latency(front, ours, 250)
            : latency(portless, theirs, 250),
      );
    } finally {
      plain.close();
      ours.close();
      theirs.close();
    }
    const load = `load average ${(Deno.loadavg()[0] ?? 0).toFixed(1)}`;
    return [
      {
        name: "curl: added latency of the HTTPS front vs of portless 0.15.6's HTTPS proxy (HTTP/2)",
        ratio: (cf - cd) / (ch2 - cd),
        goal: "< 0.5×",
        detail: `straight ${us(cd)}, front ${us(cf)} (+${us(cf - cd)}), portless ${us(ch2)} (+${
          us(ch2 - cd)
        }; HTTP/1.1: ${us(ch1)}, +${us(ch1 - cd)}); median of 4 × 250 interleaved; ${load}`,
      },
      {
        name: "fetch: added latency of the HTTPS front vs of portless 0.15.6's HTTPS proxy",
        ratio: (ff - fd) / (fp - fd),
        goal: "< 0.5×",
        detail: `straight ${us(fd)}, front ${us(ff)} (+${us(ff - fd)}), portless ${us(fp)} (+${
          us(fp - fd)
        }); median of 4 × 250 interleaved`,
      },
    ];
  } finally {
    for (const child of children.toReversed()) await stop(child);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  for (const r of await benchPortless()) {
    console.log(`${r.ratio.toFixed(2)}×  (goal ${r.goal})  ${r.name}: ${r.detail}`);
  }
}
