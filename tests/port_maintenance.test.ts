import assert from "node:assert/strict";
import { Registry } from "../src/registry/registry.ts";
import { pruneReservations } from "../src/ports/maintenance.ts";
import { insertReservation, listReservations, type Reservation } from "../src/ports/store.ts";
import { tempDir } from "./helpers.ts";

const DAY = 86_400_000;

function row(path: string, port: number, last_used_at: number, tag: string | null = null): Reservation {
  return {
    path,
    tag,
    port,
    project: null,
    task: null,
    created_at: last_used_at,
    last_used_at,
    expires_at: null,
  };
}

Deno.test("pruneReservations() removes reservations of deleted directories and keeps the rest", async () => {
  const tmp = await tempDir();
  const registry = Registry.open(`${tmp.path}/r.db`);
  try {
    const now = 100 * DAY;
    await Deno.mkdir(`${tmp.path}/kept`);
    await Deno.mkdir(`${tmp.path}/gone`);
    registry.write(() => {
      insertReservation(registry, row(`${tmp.path}/kept`, 5000, now));
      insertReservation(registry, row(`${tmp.path}/gone`, 5001, now, "web"));
      insertReservation(registry, row(`${tmp.path}/kept`, 5002, now - 40 * DAY, "old"));
    });
    await Deno.remove(`${tmp.path}/gone`);

    const dry = pruneReservations(registry, { dryRun: true, now });
    assert.deepEqual(dry.map((d) => [d.port, d.tag]), [[5001, "web"]]);
    assert.match(dry[0]!.reason, /no longer exists/);
    assert.equal(registry.read(() => listReservations(registry)).length, 3);

    const old = pruneReservations(registry, { dryRun: false, now, olderThanMs: 30 * DAY });
    assert.deepEqual(old.map((d) => d.port), [5001, 5002]);
    assert.match(old[1]!.reason, /not used for 40d/);
    assert.deepEqual(registry.read(() => listReservations(registry)).map((r) => r.port), [5000]);
  } finally {
    registry.close();
    await tmp.cleanup();
  }
});
