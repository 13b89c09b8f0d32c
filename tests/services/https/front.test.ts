import assert from "node:assert/strict";
import { leafNames } from "../../../src/core/tls.ts";
import { tlsPaths } from "../../../src/services/tls/files.ts";
import { leafFor } from "../../../src/services/tls/leaf.ts";
import { redirectTarget, startFront } from "../../../src/services/https/front.ts";
import { tempDir } from "../../helpers/cli.ts";
import { curl } from "../../helpers/harness.ts";

const IP = "127.0.3.11";
const HOST = "tls-front.local";

/** A plain HTTP server on IP that echoes WebSocket messages and answers `hello <path>`. */
function upstream(port = 0) {
  return Deno.serve({ hostname: IP, port, onListen() {} }, (request) => {
    if (request.headers.get("upgrade") === "websocket") {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onmessage = (e) => socket.send(`echo ${e.data}`);
      return response;
    }
    return new Response(`hello ${new URL(request.url).pathname}`);
  });
}

async function withLeaf<T>(fn: (leaf: { cert: string; key: string; ca: string }) => Promise<T>): Promise<T> {
  const tmp = await tempDir();
  try {
    const leaf = await leafFor(tlsPaths(tmp.path), HOST, leafNames(HOST, "tls-front", IP), Date.now());
    return await fn({ cert: leaf.certPem, key: leaf.keyPem, ca: leaf.caFile });
  } finally {
    await tmp.cleanup();
  }
}

/** A front (a fresh leaf, https and http on free ports) before {@link upstream}; both stopped after `fn`. */
async function withFront(
  fn: (
    front: ReturnType<typeof startFront>,
    leaf: { cert: string; key: string; ca: string },
  ) => Promise<void>,
): Promise<void> {
  await withLeaf(async (leaf) => {
    const server = upstream();
    const front = startFront({
      ip: IP,
      upstreamPort: server.addr.port,
      tls: leaf,
      httpsPorts: [0],
      httpPorts: [0],
      holdMs: 5000,
    });
    try {
      await fn(front, leaf);
    } finally {
      await front.stop();
      await server.shutdown();
    }
  });
}

Deno.test("the front terminates TLS and passes keep-alive requests to the server", async () => {
  await withFront(async (front, leaf) => {
    assert.ok(front.httpsPort);
    const base = `https://${HOST}:${front.httpsPort}`;
    const out = await curl(
      "--cacert",
      leaf.ca,
      "--resolve",
      `${HOST}:${front.httpsPort}:${IP}`,
      "-w",
      " %{num_connects}\n",
      `${base}/a`,
      `${base}/b`,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "hello /a 1\nhello /b 0\n"); // the second request reused the connection
  });
});

Deno.test("plain http on the front redirects to https with a 308, keeping the path", async () => {
  await withFront(async (front) => {
    const out = await curl(
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{redirect_url}",
      `http://${IP}:${front.httpPort}/x?y=1`,
    );
    assert.equal(out.stdout, `308 https://${IP}:${front.httpsPort}/x?y=1`);
  });
});

Deno.test("redirectTarget drops the request's port and refuses what is not a request", () => {
  assert.equal(redirectTarget("GET /p HTTP/1.1\r\nHost: a.local:80\r\n\r\n", 443), "https://a.local/p");
  assert.equal(redirectTarget("GET /p HTTP/1.1\r\nhost: a.local\r\n\r\n", 10443), "https://a.local:10443/p");
  assert.equal(redirectTarget("GET /p HTTP/1.1\r\nHost: evil.com/x\r\n\r\n", 443), undefined);
  assert.equal(redirectTarget("hello", 443), undefined);
});

Deno.test("without TLS the http side forwards bytes, WebSockets included", async () => {
  const server = upstream();
  const front = startFront({
    ip: IP,
    upstreamPort: server.addr.port,
    httpsPorts: [],
    httpPorts: [0],
    holdMs: 5000,
  });
  try {
    const out = await curl(`http://${IP}:${front.httpPort}/plain`);
    assert.equal(out.stdout, "hello /plain");
    const ws = new WebSocket(`ws://${IP}:${front.httpPort}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send("ping");
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("websocket failed"));
    });
    assert.equal(reply, "echo ping");
    const closed = new Promise((resolve) => (ws.onclose = resolve));
    ws.close();
    await closed;
  } finally {
    await front.stop();
    await server.shutdown();
  }
});

Deno.test("a connection made before the server listens is held until it does", async () => {
  await withLeaf(async (leaf) => {
    const probe = Deno.listen({ hostname: IP, port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const front = startFront({
      ip: IP,
      upstreamPort: port,
      tls: leaf,
      httpsPorts: [0],
      httpPorts: [],
      holdMs: 20000,
    });
    let server: Deno.HttpServer | undefined;
    try {
      const request = curl(
        "--cacert",
        leaf.ca,
        "--resolve",
        `${HOST}:${front.httpsPort}:${IP}`,
        `https://${HOST}:${front.httpsPort}/late`,
      );
      // The request is in flight (curl connected to the front) before the server exists.
      await new Promise((resolve) => setTimeout(resolve, 300));
      server = upstream(port);
      const out = await request;
      assert.equal(out.stdout, "hello /late", out.stderr);
    } finally {
      await front.stop();
      await server?.shutdown();
    }
  });
});

Deno.test("a taken port is named with its holder and the next candidate is used", async () => {
  await withLeaf(async (leaf) => {
    const server = upstream();
    const holder = Deno.listen({ hostname: IP, port: 0 });
    const taken = (holder.addr as Deno.NetAddr).port;
    const front = startFront({
      ip: IP,
      upstreamPort: server.addr.port,
      tls: leaf,
      httpsPorts: [taken, 0],
      httpPorts: [],
      holdMs: 5000,
      describeHolder: (ip, port) => `pid 42 (nginx) on ${ip}:${port}`,
    });
    try {
      assert.deepEqual(front.notes, [`https on ${IP}:${taken} is taken by pid 42 (nginx) on ${IP}:${taken}`]);
      assert.notEqual(front.httpsPort, taken);
      const out = await curl(
        "--cacert",
        leaf.ca,
        "--resolve",
        `${HOST}:${front.httpsPort}:${IP}`,
        `https://${HOST}:${front.httpsPort}/`,
      );
      assert.equal(out.stdout, "hello /");
    } finally {
      holder.close();
      await front.stop();
      await server.shutdown();
    }
  });
});

Deno.test("stop() closes the listeners and open connections", async () => {
  const server = upstream();
  const front = startFront({
    ip: IP,
    upstreamPort: server.addr.port,
    httpsPorts: [],
    httpPorts: [0],
    holdMs: 5000,
  });
  const open = await Deno.connect({ hostname: IP, port: front.httpPort! });
  await front.stop();
  try {
    assert.equal(await open.read(new Uint8Array(10)), null);
    await assert.rejects(Deno.connect({ hostname: IP, port: front.httpPort! }));
  } finally {
    open.close();
    await server.shutdown();
  }
});
