/**
 * A burst larger than the pool, on a machine whose cores are busy: every process ends for the right
 * reason — exactly the pool's size of allocations and one clean exhaustion error for each of the rest,
 * never "stayed locked" (issue 11 §5).
 */
import assert from "node:assert/strict";
import { Registry } from "../../src/registry/registry.ts";
import { listAllocations } from "../../src/registry/allocations.ts";
import { cli, tempDir } from "../helpers/cli.ts";

const POOL = "127.0.8.10-127.0.8.99"; // 90 addresses, this file's own range

/** Keeps every core busy with a shell loop until the returned function is called. */
function busyCores(): () => Promise<void> {
  const loops = Array.from(
    { length: navigator.hardwareConcurrency },
    () =>
      new Deno.Command("sh", { args: ["-c", "while :; do :; done"], stdout: "null", stderr: "null" }).spawn(),
  );
  return async () => {
    for (const loop of loops) {
      try {
        loop.kill("SIGKILL");
      } catch { /* already gone */ }
      await loop.status;
    }
  };
}

Deno.test("200 `treehouse ip` at once on a 90-IP pool with every core busy: 90 allocations, 110 clean exhaustion errors", async () => {
  const tmp = await tempDir();
  const stopBusy = busyCores();
  try {
    const db = `${tmp.path}/registry.db`;
    const results = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) => cli(["ip", `--branch=s1-burst-${i}`], { db, cwd: tmp.path, env: { TREEHOUSE_POOL: POOL } }),
      ),
    );
    const other = results.filter((r) => r.code !== 0 && r.code !== 5);
    assert.deepEqual(other.map((r) => `exit ${r.code}: ${r.stderr}`), [], "no other error");
    const ok = results.filter((r) => r.code === 0);
    const exhausted = results.filter((r) => r.code === 5);
    assert.equal(ok.length, 90);
    assert.equal(exhausted.length, 110);
    for (const r of exhausted) {
      assert.match(r.stderr, /^treehouse: IP pool 127\.0\.8\.10-127\.0\.8\.99 is exhausted/);
      assert.equal(r.stdout, "");
    }
    assert.equal(new Set(ok.map((r) => r.stdout.trim())).size, 90, "no duplicate IP");
    const registry = Registry.open(db);
    try {
      assert.equal(listAllocations(registry).length, 90, "no lost allocation");
    } finally {
      registry.close();
    }
  } finally {
    await stopBusy();
    await tmp.cleanup();
  }
});
