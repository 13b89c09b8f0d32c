/** Occupancy probes run before the reservation's write transaction, never while it holds the lock. */
import assert from "node:assert/strict";
import { Registry } from "../../../src/registry/registry.ts";
import { connection } from "../../../src/registry/connection.ts";
import { type PortPolicy, reserve, reserveGroup } from "../../../src/services/reserve/reserve.ts";
import type { Occupancy } from "../../../src/adapters/net/occupancy.ts";
import type { GroupConfig } from "../../../src/adapters/config-files.ts";
import { tempDir } from "../../helpers/cli.ts";

const policy: PortPolicy = {
  portRange: { first: 26100, last: 26120 },
  excludedPorts: [],
  occupancy: { tcp: true, udp: true, ipv4: true, ipv6: true },
  cleanupOnExhaustion: false,
  expireAfterMs: 30 * 86_400_000,
};

/** A fake probe: `busy` ports are occupied; every call notes whether a transaction was open. */
function recordingProbe(registry: Registry, busy: Set<number>) {
  const calls: { port: number; inTransaction: boolean }[] = [];
  const factory = () => (port: number): Occupancy => {
    calls.push({ port, inTransaction: connection(registry).isTransaction });
    return { occupied: busy.has(port), by: busy.has(port) ? ["tcp/ipv4"] : [] };
  };
  return { calls, factory };
}

Deno.test("reserve probes occupancy outside its transaction and skips the occupied ports it found", async () => {
  const tmp = await tempDir();
  const registry = Registry.open(`${tmp.path}/registry.db`);
  try {
    const { calls, factory } = recordingProbe(registry, new Set([26100, 26101]));
    const base = {
      tag: null,
      project: null,
      task: null,
      now: 1_000,
      explicitProject: false,
      explicitTask: false,
      force: false,
      allowExcluded: false,
      allowOccupied: false,
    };
    const first = reserve(registry, policy, { ...base, path: "/a" }, factory);
    assert.equal(first.reservation.port, 26102);
    const preferred = reserve(registry, policy, { ...base, path: "/b", preferred: 26101 }, factory);
    assert.equal(preferred.reservation.port, 26103);
    assert.ok(calls.length >= 5, `probed ${calls.length} times`);
    assert.deepEqual(calls.filter((c) => c.inTransaction), [], "no probe inside BEGIN IMMEDIATE");
  } finally {
    registry.close();
    await tmp.cleanup();
  }
});

Deno.test("reserveGroup probes occupancy outside its transaction", async () => {
  const tmp = await tempDir();
  const registry = Registry.open(`${tmp.path}/registry.db`);
  try {
    const { calls, factory } = recordingProbe(registry, new Set([26100]));
    const group: GroupConfig = {
      file: "/g/treehouse.toml",
      dir: "/g",
      members: [{ tag: "web", env: "PORT", offset: 0 }, { tag: "api", env: "API_PORT", offset: 1 }],
    };
    const result = reserveGroup(registry, policy, { group, project: null, task: null, now: 1 }, factory);
    assert.deepEqual(result.reservations.map((r) => r.port), [26101, 26102]);
    assert.ok(calls.length >= 2);
    assert.deepEqual(calls.filter((c) => c.inTransaction), [], "no probe inside BEGIN IMMEDIATE");
  } finally {
    registry.close();
    await tmp.cleanup();
  }
});
