/** services/control seen from outside a run: finding, reconciling and asking runs (issue 15). */
import assert from "node:assert/strict";
import { tempDir } from "../../helpers/cli.ts";
import { Registry } from "../../../src/registry/registry.ts";
import { getOrAllocate } from "../../../src/registry/allocations.ts";
import { endRun, startRun, updateRun } from "../../../src/registry/runs.ts";
import { parsePool } from "../../../src/core/pool.ts";
import { listenControl } from "../../../src/adapters/control-socket.ts";
import {
  type ControlDeps,
  findRun,
  listRuns,
  restart,
  status,
  waitReady,
} from "../../../src/services/control/runs.ts";
import { systemHost } from "../../../src/adapters/platform/host.ts";
import {
  ExitCode,
  NotFoundError,
  RunEndedError,
  UsageError,
  WrapperRefusedError,
} from "../../../src/errors.ts";

const host = systemHost(Deno.build.os);

async function setup() {
  const tmp = await tempDir();
  const registry = Registry.open(`${tmp.path}/r.db`);
  const { allocation } = getOrAllocate(registry, {
    project_path: "/src/app",
    branch: "ctrl-svc",
    app: "app",
    pool: parsePool("127.0.5.10-127.0.5.20"),
    now: Date.now(),
    reclaimAfterMs: 1e9,
    isAlive: () => false,
  });
  const deps: ControlDeps = {
    registry,
    isAlive: host.isAlive,
    now: Date.now,
    hostFor: (label) => `${label}.local`,
  };
  const add = (service: string, wrapper_pid: number, socket: string | null, command = ["srv"]) =>
    startRun(registry, {
      allocation_id: allocation.id,
      service,
      name: null,
      port: 4000,
      wrapper_pid,
      wrapper_started_at: host.startTime(wrapper_pid) ?? null,
      run_id: service,
      socket,
      log: null,
      detached: false,
      command,
      now: Date.now(),
    }, () => false);
  return {
    tmp,
    deps,
    add,
    async done() {
      registry.close();
      await tmp.cleanup();
    },
  };
}

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("a run whose wrapper is gone reads as stopped with the reason, and its stale socket is removed", async () => {
  const s = await setup();
  try {
    const dir = `${s.tmp.path}/run`;
    Deno.mkdirSync(dir, { mode: 0o700 });
    const socket = `${dir}/dead.sock`;
    await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ transport: "unix", path: ${JSON.stringify(socket)} }); Deno.kill(Deno.pid, "SIGKILL")`,
      ],
    }).output();
    s.add("web", await deadPid(), socket);
    const view = await status(s.deps, { project_path: "/src/app", branch: "ctrl-svc" });
    assert.equal(view.state, "stopped");
    assert.match(view.reason ?? "", /wrapper \(pid \d+\) is gone/);
    assert.equal(view.pid, null);
    assert.throws(() => Deno.lstatSync(socket), Deno.errors.NotFound);
  } finally {
    await s.done();
  }
});

Deno.test("several live runs need --service; one of them is found by its service", async () => {
  const s = await setup();
  try {
    s.add("web", Deno.pid, null);
    const api = s.add("api", Deno.pid, null);
    updateRun(s.deps.registry, api.id, { state: "ready", pid: Deno.pid, now: Date.now() });
    await assert.rejects(() => findRun(s.deps, { project_path: "/src/app", branch: "ctrl-svc" }), UsageError);
    const view = await status(s.deps, { project_path: "/src/app", branch: "ctrl-svc", service: "api" });
    assert.equal(view.state, "ready");
    assert.equal(view.url, "http://ctrl-svc.local:4000");
    await assert.rejects(
      () => status(s.deps, { project_path: "/src/app", branch: "ctrl-svc", service: "db" }),
      NotFoundError,
    );
    assert.equal((await listRuns(s.deps)).length, 2);
  } finally {
    await s.done();
  }
});

Deno.test("restart goes to the wrapper's socket and reports its error replies with their own exit code", async () => {
  const s = await setup();
  const socket = `${s.tmp.path}/run/w.sock`;
  const server = await listenControl(socket, async (request, reply) => {
    if (request.op === "restart") await reply.send({ ok: false, error: "the server is stopping" });
  });
  try {
    s.add("web", Deno.pid, socket);
    await assert.rejects(
      () => restart(s.deps, { project_path: "/src/app", branch: "ctrl-svc" }),
      (error: unknown) => {
        assert.ok(error instanceof WrapperRefusedError, String(error));
        assert.match(error.message, /answered: the server is stopping/);
        assert.equal(error.exitCode, ExitCode.wrapperRefused);
        assert.notEqual(error.exitCode, ExitCode.internal, "exit 1 is documented as a bug");
        assert.ok(error.hint);
        return true;
      },
    );
  } finally {
    await server.close();
    await s.done();
  }
});

Deno.test("restart of an ended run says how to start it again: its recorded command under run --detach", async () => {
  const s = await setup();
  try {
    const run = s.add("api", Deno.pid, null, [
      "python3",
      "-m",
      "http.server",
      "4000",
      "--bind",
      "127.0.5.10",
    ]);
    endRun(s.deps.registry, run.id, {
      state: "crashed",
      reason: "the server exited with code 3",
      now: Date.now(),
    });
    await assert.rejects(
      () => restart(s.deps, { project_path: "/src/app", branch: "ctrl-svc" }),
      (error: unknown) => {
        assert.ok(error instanceof RunEndedError, String(error));
        assert.match(error.message, /is not running \(crashed\)/);
        assert.equal(
          error.hint,
          "It ended: the server exited with code 3; start it again with " +
            "`treehouse run --detach --port 4000 --service api -- python3 -m http.server 4000 --bind 127.0.5.10`",
        );
        return true;
      },
    );
    const other = s.add("default", Deno.pid, null, ["sh", "-c", "exec srv 'a b'"]);
    endRun(s.deps.registry, other.id, { state: "stopped", reason: null, now: Date.now() });
    await assert.rejects(
      () => restart(s.deps, { project_path: "/src/app", branch: "ctrl-svc", service: "default" }),
      (error: unknown) => {
        assert.ok(error instanceof RunEndedError);
        assert.equal(
          error.hint,
          "Start it again with `treehouse run --detach --port 4000 -- sh -c 'exec srv '\\''a b'\\'''`",
        );
        return true;
      },
    );
  } finally {
    await s.done();
  }
});

const ready = (s: Awaited<ReturnType<typeof setup>>, id: number) =>
  updateRun(s.deps.registry, id, { state: "ready", pid: Deno.pid, ready_at: Date.now(), now: Date.now() });
const branch = { project_path: "/src/app", branch: "ctrl-svc" };

Deno.test("status --wait with no run yet waits for one to start and become ready", async () => {
  const s = await setup();
  try {
    const waiting = waitReady(s.deps, branch, 10_000, 20);
    await new Promise((r) => setTimeout(r, 150));
    const run = s.add("default", Deno.pid, null);
    await new Promise((r) => setTimeout(r, 100));
    ready(s, run.id);
    const waited = await waiting;
    assert.equal(waited.outcome, "ready");
    assert.equal(waited.view.wrapper_pid, Deno.pid);
  } finally {
    await s.done();
  }
});

Deno.test("status --wait past an older stopped run waits for the branch's new run", async () => {
  const s = await setup();
  try {
    const old = s.add("default", Deno.pid, null);
    endRun(s.deps.registry, old.id, {
      state: "stopped",
      reason: "stopped by treehouse stop",
      now: Date.now(),
    });
    const waiting = waitReady(s.deps, branch, 10_000, 20);
    await new Promise((r) => setTimeout(r, 150));
    const run = s.add("default", Deno.pid, null);
    ready(s, run.id);
    const waited = await waiting;
    assert.equal(waited.outcome, "ready");
    assert.equal(waited.view.state, "ready");
  } finally {
    await s.done();
  }
});

Deno.test("status --wait gives up only at the timeout: the old run's end, or no run at all", async () => {
  const s = await setup();
  try {
    await assert.rejects(() => waitReady(s.deps, branch, 200, 20), (error: unknown) => {
      assert.ok(error instanceof NotFoundError, String(error));
      assert.match(error.message, /has no run \(waited 0\.2s\)/);
      return true;
    });
    const old = s.add("default", Deno.pid, null);
    endRun(s.deps.registry, old.id, {
      state: "crashed",
      reason: "the server exited with code 3",
      now: Date.now(),
    });
    const waited = await waitReady(s.deps, branch, 200, 20);
    assert.equal(waited.outcome, "ended");
    assert.equal(waited.before, true);
    assert.equal(waited.view.reason, "the server exited with code 3");
    // A run that ends while being waited for ends the wait at once.
    const run = s.add("default", Deno.pid, null);
    const waiting = waitReady(s.deps, branch, 10_000, 20);
    await new Promise((r) => setTimeout(r, 100));
    endRun(s.deps.registry, run.id, {
      state: "crashed",
      reason: "the server exited with code 4",
      now: Date.now(),
    });
    const ended = await waiting;
    assert.equal(ended.outcome, "ended");
    assert.equal(ended.before, undefined);
  } finally {
    await s.done();
  }
});

Deno.test("status --wait confirms ready with the wrapper: one that does not answer is reported", async () => {
  const s = await setup();
  const socket = `${s.tmp.path}/run/mute.sock`;
  // Accepts and never answers, like a SIGSTOPped wrapper.
  const server = await listenControl(socket, () => new Promise(() => {}));
  try {
    const run = s.add("default", Deno.pid, socket);
    ready(s, run.id);
    const waited = await waitReady(s.deps, branch, 300, 20, 100);
    assert.equal(waited.outcome, "not-answering");
    assert.equal(waited.view.answers, false);
    assert.match(waited.view.reason ?? "", /does not answer its control socket/);
  } finally {
    await server.close();
    await s.done();
  }
});

Deno.test("doctor's runs check names a record whose wrapper is gone, and --fix ends it", async () => {
  const { checkRuns } = await import("../../../src/services/control/doctor.ts");
  const s = await setup();
  try {
    s.add("default", Deno.pid, null);
    assert.equal((await checkRuns(s.deps.registry, host.isAlive, Date.now(), false)).status, "ok");
    s.add("api", await deadPid(), null);
    const found = await checkRuns(s.deps.registry, host.isAlive, Date.now(), false);
    assert.equal(found.status, "fail");
    assert.match(found.detail, /ctrl-svc \(api\): wrapper pid \d+ is gone/);
    const fixed = await checkRuns(s.deps.registry, host.isAlive, Date.now(), true);
    assert.equal(fixed.fixed, true);
    const views = await listRuns(s.deps);
    assert.deepEqual(views.map((v) => [v.service, v.state]), [["api", "stopped"], ["default", "starting"]]);
    assert.equal((await checkRuns(s.deps.registry, host.isAlive, Date.now(), false)).status, "ok");
  } finally {
    await s.done();
  }
});
