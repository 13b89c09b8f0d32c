/**
 * Many real `treehouse` processes at once against one fresh registry: no duplicate, no lost
 * allocation, and the only failures are clean "pool exhausted" errors.
 */
import { strict as assert } from "node:assert";
import { Registry } from "../../src/registry/registry.ts";
import { listAllocations } from "../../src/registry/allocations.ts";
import { cli, type CliResult, tempDir } from "../helpers/cli.ts";

function runMany(n: number, args: (i: number) => string[], db: string, cwd: string): Promise<CliResult[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => cli(args(i), { db, cwd })));
}

Deno.test("60 concurrent `treehouse ip` processes on a fresh registry get 60 distinct IPs", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const results = await runMany(60, (i) => ["ip", `--branch=feature-${i}`], db, tmp.path);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const ips = results.map((r) => r.stdout.trim());
    assert.equal(new Set(ips).size, 60);
    for (const ip of ips) assert.match(ip, /^127\.0\.0\.\d+$/);
    const registry = Registry.open(db);
    try {
      const rows = listAllocations(registry);
      assert.equal(rows.length, 60);
      assert.deepEqual(new Set(rows.map((r) => r.ip)), new Set(ips));
      assert.equal(new Set(rows.map((r) => r.hostname)).size, 60);
    } finally {
      registry.close();
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("120 concurrent processes on a 90-IP pool: exactly 90 allocations and 30 clean exhaustion errors", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const results = await runMany(120, (i) => ["ip", `--branch=b${i}`], db, tmp.path);
    const ok = results.filter((r) => r.code === 0);
    const exhausted = results.filter((r) => r.code === 5);
    const other = results.filter((r) => r.code !== 0 && r.code !== 5);
    assert.deepEqual(other.map((r) => r.stderr), [], "no other error");
    assert.equal(ok.length, 90);
    assert.equal(exhausted.length, 30);
    for (const r of exhausted) {
      assert.match(r.stderr, /^treehouse: IP pool 127\.0\.0\.10-127\.0\.0\.99 is exhausted/);
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
    await tmp.cleanup();
  }
});

Deno.test("the same branch asked for by 20 processes at once gets one IP", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const results = await runMany(20, () => ["ip", "--branch", "feature/shared"], db, tmp.path);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(new Set(results.map((r) => r.stdout.trim())), new Set(["127.0.0.10"]));
    const registry = Registry.open(db);
    try {
      assert.equal(listAllocations(registry).length, 1);
    } finally {
      registry.close();
    }
  } finally {
    await tmp.cleanup();
  }
});
