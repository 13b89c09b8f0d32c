/** The runs table: one record per `treehouse run` of a branch and service (issue 15). */
import assert from "node:assert/strict";
import { tempDir } from "../helpers/cli.ts";
import { Registry } from "../../src/registry/registry.ts";
import { findAllocation, getOrAllocate } from "../../src/registry/allocations.ts";
import {
  endDeadRuns,
  endRun,
  listRuns,
  pruneRuns,
  runHeartbeat,
  startRun,
  updateRun,
} from "../../src/registry/runs.ts";
import { parsePool } from "../../src/core/pool.ts";
import { ConflictError } from "../../src/errors.ts";

async function withAllocation(fn: (registry: Registry, allocationId: number) => void | Promise<void>) {
  const tmp = await tempDir();
  const registry = Registry.open(`${tmp.path}/r.db`);
  try {
    const { allocation } = getOrAllocate(registry, {
      project_path: "/src/app",
      branch: "ctrl-main",
      app: "app",
      pool: parsePool("127.0.5.10-127.0.5.20"),
      now: 1000,
      reclaimAfterMs: 1e9,
      isAlive: () => false,
    });
    await fn(registry, allocation.id);
  } finally {
    registry.close();
    await tmp.cleanup();
  }
}

function newRun(allocation_id: number, service: string, port: number, wrapper_pid: number) {
  return {
    allocation_id,
    service,
    name: null,
    port,
    wrapper_pid,
    wrapper_started_at: null,
    run_id: `run-${service}`,
    socket: `/tmp/x/${service}.sock`,
    log: null,
    detached: false,
    command: ["server", "--port", String(port)],
    now: 2000,
  };
}

Deno.test("two services of one branch are two runs, each with its own pid and state", () =>
  withAllocation((registry, id) => {
    const web = startRun(registry, newRun(id, "web", 4000, 101), () => true);
    const api = startRun(registry, newRun(id, "api", 4001, 102), () => true);
    updateRun(registry, web.id, { pid: 201, pid_started_at: 5, state: "ready", ready_at: 2100, now: 2100 });
    updateRun(registry, api.id, { pid: 202, pid_started_at: 6, now: 2200 });
    const runs = listRuns(registry, { project_path: "/src/app" });
    assert.deepEqual(runs.map((r) => [r.service, r.port, r.pid, r.state]), [
      ["api", 4001, 202, "starting"],
      ["web", 4000, 201, "ready"],
    ]);
    assert.equal(runs[0]?.branch, "ctrl-main");
    assert.deepEqual(runs[1]?.command, ["server", "--port", "4000"]);
    // The allocation names the latest server started.
    assert.equal(findAllocation(registry, "/src/app", "ctrl-main")?.pid, 202);
  }));

Deno.test("ending one run leaves the other's record and gives the allocation its pid", () =>
  withAllocation((registry, id) => {
    const web = startRun(registry, newRun(id, "web", 4000, 101), () => true);
    const api = startRun(registry, newRun(id, "api", 4001, 102), () => true);
    updateRun(registry, web.id, { pid: 201, pid_started_at: 5, now: 2100 });
    updateRun(registry, api.id, { pid: 202, pid_started_at: 6, now: 2200 });
    assert.equal(
      endRun(registry, api.id, { state: "stopped", reason: "stopped by SIGTERM", now: 3000 }),
      true,
    );
    const runs = listRuns(registry);
    assert.deepEqual(runs.map((r) => [r.service, r.state, r.pid]), [["api", "stopped", null], [
      "web",
      "starting",
      201,
    ]]);
    assert.equal(runs[0]?.reason, "stopped by SIGTERM");
    const allocation = findAllocation(registry, "/src/app", "ctrl-main");
    assert.equal(allocation?.pid, 201);
    assert.equal(allocation?.port, 4000);
    // An ended run is never revived by a late update.
    assert.equal(updateRun(registry, api.id, { state: "ready", now: 3100 }), false);
    assert.equal(
      endRun(registry, web.id, { state: "crashed", reason: "exited with code 1", now: 3200 }),
      true,
    );
    assert.equal(findAllocation(registry, "/src/app", "ctrl-main")?.pid, null);
  }));

Deno.test("a second live run of the same service is a conflict; an ended one is replaced", () =>
  withAllocation((registry, id) => {
    const first = startRun(registry, newRun(id, "web", 4000, 101), () => true);
    assert.throws(() => startRun(registry, newRun(id, "web", 4002, 103), () => true), ConflictError);
    // Its wrapper is gone: the new run takes the service.
    const second = startRun(registry, newRun(id, "web", 4002, 103), () => false);
    assert.notEqual(second.id, first.id);
    assert.deepEqual(listRuns(registry).map((r) => [r.port, r.wrapper_pid]), [[4002, 103]]);
  }));

Deno.test("runs whose wrapper is gone are ended with the reason; pruning removes ended rows", () =>
  withAllocation((registry, id) => {
    startRun(registry, newRun(id, "web", 4000, 101), () => true);
    startRun(registry, newRun(id, "api", 4001, 102), () => true);
    const ended = endDeadRuns(registry, 5000, (pid) => pid === 101);
    assert.deepEqual(ended.map((r) => r.service), ["api"]);
    const api = listRuns(registry).find((r) => r.service === "api");
    assert.equal(api?.state, "stopped");
    assert.match(api?.reason ?? "", /wrapper \(pid 102\) is gone/);
    assert.equal(runHeartbeat(registry, listRuns(registry)[1]!.id, 6000), "ok");
    assert.equal(listRuns(registry)[1]?.last_seen_at, 6000);
    assert.equal(pruneRuns(registry), 1);
    assert.deepEqual(listRuns(registry).map((r) => r.service), ["web"]);
  }));
