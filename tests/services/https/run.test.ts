/** `treehouse run --https` for real: the front in the wrapper, curl through it, and every kind of stop. */
import assert from "node:assert/strict";
import { cli, tempDir } from "../../helpers/cli.ts";
import {
  bannerRow,
  curl,
  freePort,
  isGone,
  registryRow,
  serverRunArgs,
  startCli,
  waitGone,
  waitUntil,
} from "../../helpers/harness.ts";

const POOL = "127.0.3.50-127.0.3.59";

function refused(ip: string, port: number): Promise<boolean> {
  return Deno.connect({ hostname: ip, port }).then((c) => {
    c.close();
    return false;
  }, () => true);
}

Deno.test("run --https serves the branch over trusted https, redirects http, and tells the child, info, list and env", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/data/registry.db`;
  const port = freePort();
  const run = startCli(serverRunArgs("tls-run-a", tmp.path, port, ["--https"], ["--cert-arg", "{cert}"]), {
    db,
    env: { TREEHOUSE_POOL: POOL, NODE_EXTRA_CA_CERTS: "" },
  });
  try {
    const stderr = await run.waitStderr(/ready at/);
    const https = bannerRow(stderr, "HTTPS");
    const ip = bannerRow(stderr, "IP");
    const url = new URL(https);
    assert.equal(url.hostname, "tls-run-a.local");
    assert.match(stderr, /ready at https:\/\/tls-run-a\.local/);
    const ca = `${tmp.path}/data/tls/ca.pem`;
    const answer = await curl("--cacert", ca, "--resolve", `tls-run-a.local:${url.port || 443}:${ip}`, https);
    assert.equal(answer.code, 0, answer.stderr);
    const body = JSON.parse(answer.stdout);
    assert.equal(body.url, https);
    assert.equal(body.httpsUrl, https);
    assert.equal(body.nodeCa, ca);
    assert.equal(body.tlsCert, `${tmp.path}/data/tls/leaves/tls-run-a.local.pem`);
    assert.equal(body.tlsKey, `${tmp.path}/data/tls/leaves/tls-run-a.local-key.pem`);
    assert.deepEqual(body.args.slice(-2), ["--cert-arg", body.tlsCert]);
    const http = new URL(bannerRow(stderr, "HTTP"));
    const redirect = await curl(
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{redirect_url}",
      `http://${ip}:${http.port || 80}/p`,
    );
    assert.equal(redirect.stdout, `308 https://${ip}${url.port ? `:${url.port}` : ""}/p`);

    const project = ["--project", tmp.path];
    const info = JSON.parse((await cli(["info", "tls-run-a", ...project, "--json"], { db })).stdout);
    assert.equal(info.url, https);
    assert.equal(info.https_url, https);
    const listed = JSON.parse((await cli(["list", ...project, "--json"], { db })).stdout);
    assert.equal(listed[0].url, https);
    const table = await cli(["list", ...project], { db });
    assert.match(
      table.stdout,
      new RegExp(`^tls-run-a +\\S+ +tls-run-a\\.local +\\d+ +${https} +RUNNING`, "m"),
    );
    const env = await cli(["env", "--branch", "tls-run-a", ...project, "--format", "dotenv"], {
      db,
      env: { TREEHOUSE_POOL: POOL },
    });
    assert.match(env.stdout, new RegExp(`^TREEHOUSE_URL="${https}"$`, "m"));
    assert.match(env.stdout, new RegExp(`^TREEHOUSE_HTTPS_URL="${https}"$`, "m"));

    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 143);
    assert.ok(await refused(ip, Number(url.port || 443)), "the front is gone with the wrapper");
    const after = JSON.parse((await cli(["info", "tls-run-a", ...project, "--json"], { db })).stdout);
    assert.equal(after.url, `http://tls-run-a.local:${port}`, "a stopped run shows the server's own URL");
    assert.equal(after.https_url, null);
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});

Deno.test("run --https names the process holding <ip>:443 and serves on a fallback port", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/data/registry.db`;
  const env = { TREEHOUSE_POOL: POOL, NODE_EXTRA_CA_CERTS: "/users/own-ca.pem" };
  const ip = (await cli(["ip", "--branch", "tls-run-held", "--project", tmp.path], { db, env })).stdout
    .trim();
  let holder: Deno.Listener | undefined;
  try {
    holder = Deno.listen({ hostname: ip, port: 443 });
  } catch {
    // Without the right to bind 443 here the front falls back anyway; the holder part cannot be shown.
  }
  const port = freePort();
  const run = startCli(serverRunArgs("tls-run-held", tmp.path, port, ["--https"]), { db, env });
  try {
    const stderr = await run.waitStderr(/ready at/);
    if (holder) {
      assert.match(
        stderr,
        new RegExp(`https on ${ip.replaceAll(".", "\\.")}:443 is taken by pid ${Deno.pid} \\(`),
      );
    }
    const https = new URL(bannerRow(stderr, "HTTPS"));
    assert.equal(https.port, "10443");
    const answer = await curl(
      "--cacert",
      `${tmp.path}/data/tls/ca.pem`,
      "--resolve",
      `tls-run-held.local:10443:${ip}`,
      https.href,
    );
    const body = JSON.parse(answer.stdout);
    assert.equal(body.branch, "tls-run-held", answer.stderr);
    assert.equal(body.nodeCa, "/users/own-ca.pem", "a NODE_EXTRA_CA_CERTS of the user's is kept");
  } finally {
    holder?.close();
    await run.ensureDead();
    await tmp.cleanup();
  }
});

for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
  Deno.test(`no process and no listener is left after ${signal} of a run --https wrapper`, async () => {
    const tmp = await tempDir();
    const db = `${tmp.path}/data/registry.db`;
    const port = freePort();
    const branch = `tls-stop-${signal.toLowerCase()}`;
    const run = startCli(serverRunArgs(branch, tmp.path, port, ["--https"]), {
      db,
      env: { TREEHOUSE_POOL: POOL },
    });
    try {
      const stderr = await run.waitStderr(/ready at/);
      const ip = bannerRow(stderr, "IP");
      const https = new URL(bannerRow(stderr, "HTTPS"));
      const child = Number((await registryRow(db, branch))?.pid);
      assert.ok(child > 0);
      Deno.kill(run.pid, signal);
      await run.status;
      await waitGone([run.pid, child], 10_000);
      await waitUntil(() => refused(ip, Number(https.port || 443)), 10_000, "the https listener to close");
      // The watchdog ends the server's group after the wrapper died: wait for it, do not race it.
      await waitUntil(() => refused(ip, port), 10_000, "the server's port to close");
      assert.ok(isGone(child));
    } finally {
      await run.ensureDead();
      await tmp.cleanup();
    }
  });
}

Deno.test("run --port80 forwards plain http on the branch IP (port-less where it may bind :80)", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/data/registry.db`;
  const port = freePort();
  const run = startCli(serverRunArgs("tls-run-80", tmp.path, port, ["--port80"]), {
    db,
    env: { TREEHOUSE_POOL: POOL },
  });
  try {
    const stderr = await run.waitStderr(/ready at/);
    const http = new URL(bannerRow(stderr, "HTTP"));
    const ip = bannerRow(stderr, "IP");
    assert.doesNotMatch(stderr, /^ {2}HTTPS/m);
    const answer = JSON.parse((await curl(`http://${ip}:${http.port || 80}/`)).stdout);
    assert.equal(answer.branch, "tls-run-80");
    assert.equal(answer.url, http.href, "TREEHOUSE_URL is the port-less URL");
    assert.equal(answer.tlsCert, "");
  } finally {
    await run.ensureDead();
    await tmp.cleanup();
  }
});
