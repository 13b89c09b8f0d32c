import assert from "node:assert/strict";
import { fillFormula, parseSums, TARGETS } from "../../packaging/homebrew/fill-formula.ts";
import { ROOT, tempDir } from "../helpers/cli.ts";

const SUMS = `${ROOT}/tests/fixtures/ops/SHA256SUMS`;
const FILLER = `${ROOT}/packaging/homebrew/fill-formula.ts`;
const dec = new TextDecoder();

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function sha256(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("the formula filler puts each target's checksum under its URL and leaves no placeholder", async () => {
  const r = await run(Deno.execPath(), [
    "run",
    "--allow-read",
    FILLER,
    "--version",
    "v1.2.3",
    "--owner",
    "acme",
    "--sums",
    SUMS,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const sums = parseSums(await Deno.readTextFile(SUMS));
  for (const target of TARGETS) {
    const url = `https://github.com/acme/treehouse/releases/download/v1.2.3/treehouse-${target}`;
    assert.ok(r.stdout.includes(`url "${url}"\n      sha256 "${sums.get(`treehouse-${target}`)}"`), target);
  }
  assert.match(r.stdout, /version "1\.2\.3"/);
  assert.match(r.stdout, /brew install acme\/tap\/treehouse/);
  assert.doesNotMatch(r.stdout, /@[A-Z0-9_]+@/);
});

Deno.test("the formula filler refuses a missing or malformed checksum and prints nothing", async () => {
  const tmp = await tempDir();
  try {
    const partial = `${tmp.path}/SHA256SUMS`;
    const lines = (await Deno.readTextFile(SUMS)).split("\n").filter((l) =>
      !l.includes("x86_64-apple-darwin")
    );
    await Deno.writeTextFile(partial, lines.join("\n"));
    const r = await run(Deno.execPath(), [
      "run",
      "--allow-read",
      FILLER,
      "--version",
      "1.2.3",
      "--owner",
      "acme",
      "--sums",
      partial,
    ]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /no line for treehouse-x86_64-apple-darwin/);
  } finally {
    await tmp.cleanup();
  }
  const template = await Deno.readTextFile(`${ROOT}/packaging/homebrew/treehouse.rb`);
  const bad = new Map(parseSums(await Deno.readTextFile(SUMS)));
  bad.set("treehouse-aarch64-apple-darwin", "abc");
  assert.throws(
    () => fillFormula(template, { version: "1.2.3", owner: "acme", sums: bad }),
    /Invalid SHA-256/,
  );
  assert.throws(
    () => fillFormula(template, { version: "latest", owner: "acme", sums: bad }),
    /Invalid version/,
  );
});

/** Serves `files` on 127.0.0.1 (a free port) for the install script. */
function serve(files: Record<string, Uint8Array>) {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const name = new URL(req.url).pathname.slice(1);
    requests.push(name);
    const body = files[name];
    return body ? new Response(body as Uint8Array<ArrayBuffer>) : new Response("not found", { status: 404 });
  });
  return { server, requests, url: `http://127.0.0.1:${server.addr.port}` };
}

const FAKE_BINARY = new TextEncoder().encode("#!/bin/sh\necho 9.9.9\n");
const TARGET = "x86_64-unknown-linux-gnu";

async function install(url: string, dir: string, home: string) {
  return await run("sh", [`${ROOT}/install.sh`], {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    TREEHOUSE_DOWNLOAD_URL: url,
    TREEHOUSE_INSTALL_DIR: dir,
    TREEHOUSE_TARGET: TARGET,
  });
}

Deno.test("install.sh downloads the binary, checks its SHA-256 and installs it as treehouse", async () => {
  const tmp = await tempDir();
  const sums = `${await sha256(FAKE_BINARY)}  treehouse-${TARGET}\n0000  treehouse-other\n`;
  const http = serve({ [`treehouse-${TARGET}`]: FAKE_BINARY, SHA256SUMS: new TextEncoder().encode(sums) });
  try {
    const r = await install(http.url, `${tmp.path}/bin`, tmp.path);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /installed 9\.9\.9 to .*\/bin\/treehouse/);
    assert.match(r.stderr, /add .*\/bin to your PATH/);
    const installed = `${tmp.path}/bin/treehouse`;
    assert.equal((await Deno.stat(installed)).mode! & 0o777, 0o755);
    assert.equal((await run(installed, [])).stdout, "9.9.9\n");
    assert.deepEqual(http.requests, [`treehouse-${TARGET}`, "SHA256SUMS"]);
    assert.deepEqual([...Deno.readDirSync(`${tmp.path}/bin`)].map((e) => e.name), ["treehouse"]);
  } finally {
    await http.server.shutdown();
    await tmp.cleanup();
  }
});

Deno.test("install.sh refuses a binary whose checksum does not match and installs nothing", async () => {
  const tmp = await tempDir();
  const sums = `${"0".repeat(64)}  treehouse-${TARGET}\n`;
  const http = serve({ [`treehouse-${TARGET}`]: FAKE_BINARY, SHA256SUMS: new TextEncoder().encode(sums) });
  try {
    const r = await install(http.url, `${tmp.path}/bin`, tmp.path);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /checksum mismatch for treehouse-x86_64-unknown-linux-gnu/);
    await assert.rejects(Deno.stat(`${tmp.path}/bin/treehouse`));
    const missing = await install(`${http.url}/nothing-here`, `${tmp.path}/bin`, tmp.path);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /download failed/);
  } finally {
    await http.server.shutdown();
    await tmp.cleanup();
  }
});

Deno.test("the release workflow, install.sh and the formula name the same three targets", async () => {
  const workflow = await Deno.readTextFile(`${ROOT}/.github/workflows/release.yml`);
  const installer = await Deno.readTextFile(`${ROOT}/install.sh`);
  for (const target of TARGETS) {
    assert.ok(workflow.includes(`target: ${target}`), `release.yml builds ${target}`);
  }
  assert.ok(installer.includes("-apple-darwin") && installer.includes("x86_64-unknown-linux-gnu"));
});
