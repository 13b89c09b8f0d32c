import { strict as assert } from "node:assert";
import { DatabaseSync } from "node:sqlite";
import { Registry } from "../../src/registry/registry.ts";
import {
  type AllocateRequest,
  findAllocation,
  getOrAllocate,
  LAST_SEEN_REFRESH_MS,
  listAllocations,
  recordProcess,
  releaseAllocation,
} from "../../src/registry/allocations.ts";
import { parsePool } from "../../src/core/pool.ts";
import { PoolExhaustedError, RegistryError } from "../../src/errors.ts";
import { SCHEMA_VERSION } from "../../src/registry/migrations.ts";
import { connection } from "../../src/registry/connection.ts";
import { bytes, cli, tempDir } from "../helpers/cli.ts";

const DAY = 86_400_000;

function request(branch: string, extra: Partial<AllocateRequest> = {}): AllocateRequest {
  return {
    project_path: "/src/app",
    branch,
    app: "app",
    pool: parsePool("127.0.0.10-127.0.0.14"),
    now: 1_000 * DAY,
    reclaimAfterMs: 7 * DAY,
    isAlive: () => false,
    ...extra,
  };
}

async function withRegistry(fn: (registry: Registry, dir: string) => void | Promise<void>) {
  const tmp = await tempDir();
  const registry = Registry.open(`${tmp.path}/data/registry.db`);
  try {
    await fn(registry, tmp.path);
  } finally {
    registry.close();
    await tmp.cleanup();
  }
}

Deno.test("getOrAllocate() is sticky and refreshes last_seen_at", () =>
  withRegistry((registry) => {
    const first = getOrAllocate(registry, request("main"));
    assert.equal(first.created, true);
    assert.equal(first.allocation.ip, "127.0.0.10");
    assert.equal(first.allocation.hostname, "main");
    assert.equal(first.allocation.db_name, "app_dev_main");
    const again = getOrAllocate(registry, request("main", { now: 1_001 * DAY }));
    assert.equal(again.created, false);
    assert.equal(again.allocation.ip, "127.0.0.10");
    assert.equal(findAllocation(registry, "/src/app", "main")?.last_seen_at, 1_001 * DAY);
    assert.equal(findAllocation(registry, "/src/app", "main")?.allocated_at, 1_000 * DAY);
  }));

Deno.test("getOrAllocate() reuses the gap left by a released branch", () =>
  withRegistry((registry) => {
    for (const b of ["a", "b", "c"]) getOrAllocate(registry, request(b));
    assert.equal(releaseAllocation(registry, "/src/app", "b")?.ip, "127.0.0.11");
    assert.equal(releaseAllocation(registry, "/src/app", "b"), undefined);
    assert.equal(getOrAllocate(registry, request("d")).allocation.ip, "127.0.0.11");
    assert.deepEqual(listAllocations(registry).map((a) => a.branch), ["a", "d", "c"]);
    assert.deepEqual(listAllocations(registry, "/elsewhere"), []);
  }));

Deno.test("the same branch in two projects gets two IPs and two hostnames", () =>
  withRegistry((registry) => {
    const a = getOrAllocate(registry, request("main", { project_path: "/src/alpha" })).allocation;
    const b = getOrAllocate(registry, request("main", { project_path: "/src/beta" })).allocation;
    assert.notEqual(a.ip, b.ip);
    assert.equal(a.hostname, "main");
    assert.equal(b.hostname, "main-beta");
  }));

Deno.test("a full pool without stale holders fails with PoolExhaustedError naming holders", () =>
  withRegistry((registry) => {
    for (const b of ["a", "b", "c", "d", "e"]) getOrAllocate(registry, request(b));
    assert.throws(
      () => getOrAllocate(registry, request("f", { now: 1_003 * DAY })),
      (error: unknown) => {
        assert.ok(error instanceof PoolExhaustedError);
        assert.match(error.message, /127\.0\.0\.10-127\.0\.0\.14 is exhausted/);
        assert.match(error.message, /a \(127\.0\.0\.10, seen 3d ago\)/);
        assert.match(error.hint ?? "", /treehouse release/);
        assert.match(error.hint ?? "", /cleanup/);
        assert.match(error.hint ?? "", /TREEHOUSE_POOL=/);
        return true;
      },
    );
    assert.equal(listAllocations(registry).length, 5, "nothing lost");
  }));

Deno.test("a full pool reclaims the least recently seen holder idle for 7 days with a dead process", () =>
  withRegistry((registry) => {
    const now = 1_000 * DAY;
    getOrAllocate(registry, request("old", { now: now - 10 * DAY }));
    getOrAllocate(registry, request("older-but-running", { now: now - 20 * DAY }));
    getOrAllocate(registry, request("oldish", { now: now - 8 * DAY }));
    getOrAllocate(registry, request("d", { now }));
    getOrAllocate(registry, request("e", { now }));
    const running = findAllocation(registry, "/src/app", "older-but-running");
    recordProcess(registry, running!.id, { pid: 4242, pid_started_at: 7, now: now - 20 * DAY });
    const isAlive = (pid: number) => pid === 4242;
    const result = getOrAllocate(registry, request("new", { now, isAlive }));
    assert.equal(result.reclaimed?.branch, "old");
    assert.equal(result.allocation.ip, "127.0.0.10");
    assert.equal(findAllocation(registry, "/src/app", "old"), undefined);
    assert.ok(findAllocation(registry, "/src/app", "older-but-running"));
    const next = getOrAllocate(registry, request("newer", { now, isAlive }));
    assert.equal(next.reclaimed?.branch, "oldish");
    assert.throws(() => getOrAllocate(registry, request("newest", { now, isAlive })), PoolExhaustedError);
  }));

Deno.test("a new registry has a 0700 directory, a 0600 file, WAL and the current schema", () =>
  withRegistry((registry, dir) => {
    assert.equal(Deno.statSync(`${dir}/data`).mode! & 0o777, 0o700);
    assert.equal(Deno.statSync(`${dir}/data/registry.db`).mode! & 0o777, 0o600);
    const mode = connection(registry).prepare("PRAGMA journal_mode").get() as { journal_mode: string };
    assert.equal(mode.journal_mode, "wal");
    const version = connection(registry).prepare("PRAGMA user_version").get() as { user_version: number };
    assert.equal(version.user_version, SCHEMA_VERSION);
  }));

async function assertRejected(path: string, pattern: RegExp) {
  const before = await bytes(path);
  assert.throws(() => {
    const registry = Registry.open(path);
    try {
      getOrAllocate(registry, request("main"));
      listAllocations(registry);
    } finally {
      registry.close();
    }
  }, (error: unknown) => {
    assert.ok(error instanceof RegistryError, String(error));
    assert.match(error.message, pattern);
    assert.ok(error.message.includes(path), "names the path");
    assert.ok(error.hint, "has a hint");
    return true;
  });
  const result = await cli(["ip", "--branch", "main"], { db: path });
  assert.equal(result.code, 6);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\bat .*\.ts:\d+/, "no stack trace");
  assert.deepEqual(await bytes(path), before, "file left byte-for-byte untouched");
}

Deno.test("a file that is not SQLite is rejected and left untouched", async () => {
  const tmp = await tempDir();
  try {
    const path = `${tmp.path}/registry.db`;
    await Deno.writeTextFile(path, "this is my shopping list, not a database\n".repeat(20));
    await assertRejected(path, /not a treehouse registry/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a corrupt registry is rejected and left untouched", async () => {
  const tmp = await tempDir();
  try {
    const path = `${tmp.path}/registry.db`;
    const registry = Registry.open(path);
    for (let i = 0; i < 40; i++) {
      getOrAllocate(registry, request(`b${i}`, { pool: parsePool("127.0.0.10-127.0.0.99") }));
    }
    registry.close();
    const data = await Deno.readFile(path);
    // Keep the header, trash every page after the first.
    for (let i = 4096; i < data.length; i++) data[i] = (i * 7) & 0xff;
    await Deno.writeFile(path, data);
    await assertRejected(path, /corrupt/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a registry from a newer treehouse is rejected and left untouched", async () => {
  const tmp = await tempDir();
  try {
    const path = `${tmp.path}/registry.db`;
    Registry.open(path).close();
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    await assertRejected(path, /newer treehouse/);
  } finally {
    await tmp.cleanup();
  }
});

/** Whether this machine can make a file unwritable for us (chmod when not root, `chattr +i` as root). */
async function canMakeReadOnly(): Promise<boolean> {
  if (Deno.uid() !== 0) return true;
  const tmp = await tempDir();
  try {
    const probe = `${tmp.path}/probe`;
    await Deno.writeTextFile(probe, "");
    if (!await makeReadOnly(probe, tmp.path)) return false;
    await new Deno.Command("chattr", { args: ["-i", probe], stderr: "null", stdout: "null" }).output();
    return true;
  } finally {
    await tmp.cleanup();
  }
}
const READ_ONLY_POSSIBLE = await canMakeReadOnly();

/** Makes a file unwritable even for root (immutable flag), or returns false when impossible. */
async function makeReadOnly(path: string, dir: string): Promise<boolean> {
  if (Deno.uid() !== 0) {
    await Deno.chmod(path, 0o444);
    await Deno.chmod(dir, 0o555);
    return true;
  }
  const out = await new Deno.Command("chattr", { args: ["+i", path], stderr: "null", stdout: "null" })
    .output()
    .catch(() => undefined);
  return out?.success ?? false;
}

Deno.test({
  name: `a read-only registry is rejected with a clear error and left untouched${
    READ_ONLY_POSSIBLE ? "" : " (ignored: cannot make a file read-only for root here, chattr +i unsupported)"
  }`,
  ignore: !READ_ONLY_POSSIBLE,
}, async () => {
  const tmp = await tempDir();
  const path = `${tmp.path}/ro/registry.db`;
  let immutable = false;
  try {
    const registry = Registry.open(path);
    getOrAllocate(registry, request("main"));
    registry.close();
    immutable = await makeReadOnly(path, `${tmp.path}/ro`);
    assert.ok(immutable, "the file was made read-only");
    const before = await bytes(path);
    const result = await cli(["ip", "--branch", "feature"], { db: path });
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /cannot be written|Cannot open/);
    assert.ok(result.stderr.includes(path));
    assert.deepEqual(await bytes(path), before);
  } finally {
    if (immutable && Deno.uid() === 0) {
      await new Deno.Command("chattr", { args: ["-i", path] }).output();
    }
    await Deno.chmod(`${tmp.path}/ro`, 0o700).catch(() => {});
    await tmp.cleanup();
  }
});

Deno.test("a directory given as the registry path is a clear error", async () => {
  const tmp = await tempDir();
  try {
    const result = await cli(["ip", "--branch", "x"], { db: tmp.path });
    assert.equal(result.code, 6);
    assert.match(result.stderr, /is a directory/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("getOrAllocate() within a minute of the last refresh reads without writing", () =>
  withRegistry((registry) => {
    getOrAllocate(registry, request("main"));
    const changes = () =>
      Number((connection(registry).prepare("SELECT total_changes() AS n").get() as { n: number }).n);
    const writes = changes();
    const soon = getOrAllocate(registry, request("main", { now: 1_000 * DAY + LAST_SEEN_REFRESH_MS - 1 }));
    assert.equal(soon.created, false);
    assert.equal(soon.allocation.last_seen_at, 1_000 * DAY);
    assert.equal(changes(), writes, "no row written");
    const later = getOrAllocate(registry, request("main", { now: 1_000 * DAY + LAST_SEEN_REFRESH_MS }));
    assert.equal(later.allocation.last_seen_at, 1_000 * DAY + LAST_SEEN_REFRESH_MS);
    assert.equal(changes(), writes + 1);
  }));

Deno.test("a row that fails validation is named in the error and can still be released", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    assert.equal((await cli(["ip", "--branch", "broken", "--project", tmp.path], { db })).code, 0);
    const handle = new DatabaseSync(db);
    handle.prepare("UPDATE allocations SET db_name = x'00' WHERE branch = 'broken'").run();
    handle.close();
    const listed = await cli(["list", "--all"], { db });
    assert.equal(listed.code, 6, listed.stderr);
    assert.match(listed.stderr, /invalid allocation row \(id \d+ for branch "broken" of /);
    assert.match(listed.stderr, /treehouse release --branch 'broken' --project /);
    const released = await cli(["release", "--branch", "broken", "--project", tmp.path], { db });
    assert.equal(released.code, 0, released.stderr);
    const after = await cli(["list", "--all", "--json"], { db });
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(JSON.parse(after.stdout), []);
  } finally {
    await tmp.cleanup();
  }
});
