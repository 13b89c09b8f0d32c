/** The control socket: JSON lines over a Unix socket in a private directory (issue 15). */
import assert from "node:assert/strict";
import { tempDir } from "../helpers/cli.ts";
import {
  connectControl,
  controlExchange,
  controlRequest,
  listenControl,
  rawControlRequest,
  removeStaleSocket,
  runtimeDir,
} from "../../src/adapters/control-socket.ts";
import { MAX_REQUEST_BYTES, parseRequest } from "../../src/core/control-protocol.ts";
import { PermissionError } from "../../src/errors.ts";

const encoder = new TextEncoder();

Deno.test("a status request gets the handler's reply; logs stream line by line", async () => {
  const tmp = await tempDir();
  const path = `${tmp.path}/run/a.sock`;
  const server = await listenControl(path, async (request, reply) => {
    if (request.op === "logs") {
      for (let i = 0; i < request.lines; i++) await reply.send({ line: `line ${i}` });
      await reply.send({ ok: true, done: true });
      return;
    }
    await reply.send({
      ok: true,
      status: { state: "ready", pid: 42, wrapper_pid: 41, restarts: 0, started_at: 1, ready_at: 2 },
    });
  });
  try {
    assert.equal((Deno.statSync(`${tmp.path}/run`).mode ?? 0) & 0o777, 0o700);
    assert.equal((Deno.statSync(path).mode ?? 0) & 0o777, 0o600);
    const reply = await controlRequest(path, { op: "status" });
    assert.deepEqual(reply, {
      ok: true,
      status: { state: "ready", pid: 42, wrapper_pid: 41, restarts: 0, started_at: 1, ready_at: 2 },
    });
    const lines: string[] = [];
    for await (const r of controlExchange(path, { op: "logs", lines: 3, follow: false })) {
      if ("line" in r) lines.push(r.line);
    }
    assert.deepEqual(lines, ["line 0", "line 1", "line 2"]);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
  assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
});

Deno.test("malformed, unknown and oversized requests get an error reply and the server keeps serving", async () => {
  const tmp = await tempDir();
  const path = `${tmp.path}/run/b.sock`;
  let handled = 0;
  const server = await listenControl(path, async (_request, reply) => {
    handled++;
    await reply.send({ ok: true });
  });
  try {
    const ask = async (text: string | Uint8Array) =>
      JSON.parse(await rawControlRequest(path, typeof text === "string" ? encoder.encode(text) : text));
    assert.match((await ask("not json\n")).error, /not JSON/);
    assert.match((await ask("[1,2]\n")).error, /expected an object/);
    assert.match((await ask('{"op":"exec","cmd":"rm -rf /"}\n')).error, /unknown request "exec"/);
    assert.match((await ask('{"op":"logs","lines":-1}\n')).error, /lines must be/);
    assert.match((await ask(new Uint8Array(MAX_REQUEST_BYTES * 3).fill(120))).error, /too large/);
    assert.equal(handled, 0);
    assert.deepEqual(await controlRequest(path, { op: "status" }), { ok: true });
    assert.equal(handled, 1);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});

Deno.test("a handler that throws becomes an error reply, never a crash", async () => {
  const tmp = await tempDir();
  const path = `${tmp.path}/run/c.sock`;
  const server = await listenControl(path, () => Promise.reject(new Error("boom")));
  try {
    assert.deepEqual(await controlRequest(path, { op: "stop" }), { ok: false, error: "boom" });
    assert.deepEqual(await controlRequest(path, { op: "stop" }), { ok: false, error: "boom" });
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});

Deno.test("a socket in a world-writable directory is refused by the client and the server", async () => {
  const tmp = await tempDir();
  const dir = `${tmp.path}/open`;
  try {
    Deno.mkdirSync(dir);
    Deno.chmodSync(dir, 0o777);
    await assert.rejects(() => listenControl(`${dir}/x.sock`, async () => {}), PermissionError);
    // A listener made there by someone else: the client will not talk to it.
    const listener = Deno.listen({ transport: "unix", path: `${dir}/y.sock` });
    try {
      await assert.rejects(() => connectControl(`${dir}/y.sock`), PermissionError);
    } finally {
      listener.close();
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a stale socket (nobody listening) is detected and removed; a live one is not", async () => {
  const tmp = await tempDir();
  const dir = `${tmp.path}/run`;
  Deno.mkdirSync(dir, { mode: 0o700 });
  const stale = `${dir}/stale.sock`;
  try {
    // A listener whose process died leaves its file: simulate with a socket file nobody accepts on.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ transport: "unix", path: ${JSON.stringify(stale)} }); Deno.kill(Deno.pid, "SIGKILL")`,
      ],
      stdout: "null",
      stderr: "null",
    });
    await child.output();
    assert.ok(Deno.lstatSync(stale).isSocket);
    const server = await listenControl(
      `${dir}/live.sock`,
      async (_r, reply) => void await reply.send({ ok: true }),
    );
    try {
      assert.equal(await removeStaleSocket(`${dir}/live.sock`), false);
      assert.equal(await removeStaleSocket(stale), true);
      assert.throws(() => Deno.lstatSync(stale), Deno.errors.NotFound);
    } finally {
      await server.close();
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("parseRequest accepts the four operations and defaults", () => {
  assert.deepEqual(parseRequest('{"op":"restart"}'), { ok: true, request: { op: "restart", wait: true } });
  assert.deepEqual(parseRequest('{"op":"logs"}'), {
    ok: true,
    request: { op: "logs", lines: 100, follow: false },
  });
  assert.equal(parseRequest('{"op":"restart","wait":"yes"}').ok, false);
});

Deno.test("the runtime directory comes from TREEHOUSE_RUNTIME_DIR, XDG_RUNTIME_DIR or /tmp", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(runtimeDir(env({ TREEHOUSE_RUNTIME_DIR: "/x/y/" }), 5), "/x/y");
  assert.equal(runtimeDir(env({ XDG_RUNTIME_DIR: "/run/user/5" }), 5), "/run/user/5/treehouse");
  assert.equal(runtimeDir(env({}), 5), "/tmp/treehouse-5");
});
