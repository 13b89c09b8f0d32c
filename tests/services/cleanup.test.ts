import assert from "node:assert/strict";
import { cleanupReason, type RepoFacts } from "../../src/core/cleanup-policy.ts";
import { Registry } from "../../src/registry/registry.ts";
import { findAllocation, recordProcess } from "../../src/registry/allocations.ts";
import { systemHost } from "../../src/adapters/platform/host.ts";
import { DatabaseSync } from "node:sqlite";
import { cli, git, makeRepo, tempDir } from "../helpers/cli.ts";

const HOUR = 3_600_000;
const repo = (
  branches: string[],
  extra: Partial<Extract<RepoFacts, { kind: "repository" }>> = {},
): RepoFacts => ({
  kind: "repository",
  branches: new Set(branches),
  detachedHeads: [],
  removedWorktrees: new Map(),
  checkedOut: new Set(),
  ...extra,
});
const rules = { now: 10 * HOUR, staleAfterMs: HOUR / 2 };
const base = { pid: null, last_seen_at: 9 * HOUR, alive: false };

Deno.test("cleanupReason keeps live branches and running servers and names every other case", () => {
  assert.equal(cleanupReason({ ...base, branch: "main", repo: repo(["main"]) }, rules), undefined);
  assert.equal(
    cleanupReason({ ...base, branch: "gone", alive: true, pid: 5, repo: { kind: "missing" } }, rules),
    undefined,
  );
  assert.equal(
    cleanupReason({ ...base, branch: "gone", repo: repo(["main"]) }, rules),
    "its branch no longer exists",
  );
  assert.equal(
    cleanupReason({ ...base, branch: "x", repo: { kind: "missing" } }, rules),
    "its repository directory is gone",
  );
  assert.equal(
    cleanupReason({
      ...base,
      branch: "wt",
      repo: repo(["wt"], { removedWorktrees: new Map([["wt", "/w"]]) }),
    }, rules),
    "its worktree /w was removed",
  );
  assert.equal(
    cleanupReason({ ...base, branch: "main", pid: 42, repo: repo(["main"]) }, rules),
    "its process 42 is dead and was last seen 1h ago",
  );
  assert.equal(
    cleanupReason({
      ...base,
      branch: "main",
      pid: 42,
      last_seen_at: rules.now - 60_000,
      repo: repo(["main"]),
    }, rules),
    undefined,
    "a recent heartbeat is not stale yet",
  );
  assert.equal(cleanupReason({ ...base, branch: "x", repo: { kind: "not-a-repository" } }, rules), undefined);
});

Deno.test("cleanupReason understands detached heads and --older-than", () => {
  const detached = repo(["main"], { detachedHeads: ["abc1234def"] });
  assert.equal(cleanupReason({ ...base, branch: "detached-abc1234", repo: detached }, rules), undefined);
  assert.equal(
    cleanupReason({ ...base, branch: "detached-0000000", repo: detached }, rules),
    "no worktree is detached at 0000000 any more",
  );
  assert.equal(
    cleanupReason({ ...base, branch: "gone", repo: repo([]) }, { ...rules, olderThanMs: 2 * HOUR }),
    undefined,
  );
  assert.equal(
    cleanupReason({ ...base, branch: "gone", repo: repo([]) }, { ...rules, olderThanMs: HOUR / 2 }),
    "its branch no longer exists",
  );
});

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("cleanup removes deleted branches, removed worktrees, deleted repositories and stale dead processes only", async () => {
  const tmp = await tempDir();
  const server = new Deno.Command("sleep", { args: ["300"], stdout: "null", stderr: "null" }).spawn();
  try {
    const db = `${tmp.path}/registry.db`;
    const app = await makeRepo(tmp.path, "app");
    const other = await makeRepo(tmp.path, "other");
    for (const b of ["gone", "server", "dead"]) await git(app, "branch", b);
    await git(app, "worktree", "add", "-q", "-b", "wt", `${tmp.path}/app-wt`);
    for (const b of ["main", "gone", "server", "dead"]) {
      assert.equal((await cli(["ip", "--branch", b, "--project", app], { db })).code, 0);
    }
    assert.equal((await cli(["ip"], { db, cwd: `${tmp.path}/app-wt` })).code, 0);
    assert.equal((await cli(["ip"], { db, cwd: other })).code, 0);

    const old = Date.now() - 2 * 3_600_000;
    const registry = Registry.open(db);
    try {
      const record = (branch: string, pid: number, started: number | null) =>
        recordProcess(registry, findAllocation(registry, app, branch)!.id, {
          pid,
          pid_started_at: started,
          now: old,
        });
      record("server", server.pid, systemHost(Deno.build.os).startTime(server.pid) ?? null);
      record("dead", await deadPid(), old);
    } finally {
      registry.close();
    }
    await git(app, "branch", "-D", "gone", "server");
    await Deno.remove(`${tmp.path}/app-wt`, { recursive: true });
    await Deno.remove(other, { recursive: true });

    const before = await cli(["list", "--all", "--json"], { db, cwd: tmp.path });
    const dry = await cli(["cleanup", "--dry-run", "--all-projects"], { db, cwd: app });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /gone .*its branch no longer exists/);
    assert.match(dry.stdout, /wt .*its worktree .*app-wt was removed/);
    assert.match(dry.stdout, /main .*other .*its repository directory is gone/);
    assert.match(dry.stdout, /dead .*its process \d+ is dead and was last seen 2h ago/);
    assert.doesNotMatch(dry.stdout, /server/);
    assert.match(dry.stderr, /Would remove 4 allocations .*dry run/);
    const unchanged = await cli(["list", "--all", "--json"], { db, cwd: tmp.path });
    assert.equal(unchanged.stdout, before.stdout, "--dry-run changes nothing");

    const real = await cli(["cleanup", "--all-projects", "--json"], { db, cwd: app });
    assert.equal(real.code, 0, real.stderr);
    const report = JSON.parse(real.stdout);
    assert.deepEqual(report.allocations.map((a: { branch: string }) => a.branch).sort(), [
      "dead",
      "gone",
      "main",
      "wt",
    ]);
    const left = JSON.parse((await cli(["list", "--all", "--json"], { db, cwd: tmp.path })).stdout);
    assert.deepEqual(
      left.map((a: { branch: string; project_path: string }) =>
        `${a.project_path === app ? "app" : "?"}:${a.branch}`
      )
        .sort(),
      ["app:main", "app:server"],
      "the live branch and the running server (even on a deleted branch) are kept",
    );
    const again = await cli(["cleanup", "--all-projects"], { db, cwd: app });
    assert.match(again.stderr, /Nothing to clean up/);
  } finally {
    server.kill();
    await server.status;
    await tmp.cleanup();
  }
});

Deno.test("cleanup inside a repository only looks at that project unless --all-projects", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const app = await makeRepo(tmp.path, "app");
    const other = await makeRepo(tmp.path, "other");
    assert.equal((await cli(["ip", "--branch", "nope", "--project", app], { db })).code, 0);
    assert.equal((await cli(["ip"], { db, cwd: other })).code, 0);
    await Deno.remove(other, { recursive: true });
    const scoped = await cli(["cleanup", "--json"], { db, cwd: app });
    assert.equal(scoped.code, 0, scoped.stderr);
    assert.deepEqual(JSON.parse(scoped.stdout).allocations.map((a: { branch: string }) => a.branch), [
      "nope",
    ]);
    const bad = await cli(["cleanup", "--older-than", "soon"], { db, cwd: app });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid duration in --older-than/);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("cleanup also removes port reservations whose directory is gone, and --dry-run keeps them", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const kept = `${tmp.path}/kept`;
    const gone = `${tmp.path}/gone`;
    await Deno.mkdir(kept);
    await Deno.mkdir(gone);
    for (const path of [kept, gone]) {
      const r = await cli(["port", "reserve", "--path", path, "--tag", "web"], { db, cwd: tmp.path });
      assert.equal(r.code, 0, r.stderr);
    }
    await Deno.remove(gone, { recursive: true });
    const dry = await cli(["cleanup", "--dry-run", "--json"], { db, cwd: tmp.path });
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout).reservations.map((r: { path: string }) => r.path), [gone]);
    const listed = await cli(["port", "list", "--json"], { db, cwd: tmp.path });
    assert.equal(JSON.parse(listed.stdout).length, 2, "--dry-run changes nothing");

    const real = await cli(["cleanup"], { db, cwd: tmp.path });
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, new RegExp(`port +web +\\d+ +${gone}`));
    assert.match(real.stderr, /Removed 1 port reservation across all projects$/m);
    const left = JSON.parse((await cli(["port", "list", "--json"], { db, cwd: tmp.path })).stdout);
    assert.deepEqual(left.map((r: { path: string }) => r.path), [kept]);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("cleanup keeps the checked-out branch of a repository with no commit yet", async () => {
  const tmp = await tempDir();
  try {
    const dir = `${tmp.path}/fresh`;
    await Deno.mkdir(dir);
    await git(dir, "init", "-q", "-b", "trunk");
    const db = `${tmp.path}/r.db`;
    assert.equal((await cli(["ip"], { cwd: dir, db })).code, 0);
    const dry = await cli(["cleanup", "--dry-run", "--json"], { cwd: dir, db });
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout).allocations, []);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("cleanup inside a repository prunes only that project's port reservations", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const repo = await makeRepo(tmp.path, "shop");
    const inside = `${repo}/db`;
    const outside = `${tmp.path}/elsewhere`;
    for (const path of [inside, outside]) {
      await Deno.mkdir(path);
      assert.equal((await cli(["port", "reserve", "--path", path], { db, cwd: tmp.path })).code, 0);
      await Deno.remove(path);
    }
    const scoped = await cli(["cleanup", "--dry-run", "--json"], { db, cwd: repo });
    assert.deepEqual(JSON.parse(scoped.stdout).reservations.map((r: { path: string }) => r.path), [inside]);
    const all = await cli(["cleanup", "--dry-run", "--json", "--all-projects"], { db, cwd: repo });
    assert.deepEqual(
      JSON.parse(all.stdout).reservations.map((r: { path: string }) => r.path).sort(),
      [inside, outside].sort(),
    );
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("cleanup notices a worktree removed with git worktree remove, and keeps a branch checked out elsewhere", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const env = { TREEHOUSE_POOL: "127.0.9.70-127.0.9.79" };
    const app = await makeRepo(tmp.path, "app");
    await git(app, "worktree", "add", "-q", "-b", "s2-removed", `${tmp.path}/wt-removed`);
    await git(app, "worktree", "add", "-q", "-b", "s2-moved", `${tmp.path}/wt-moved`);
    for (const wt of ["wt-removed", "wt-moved"]) {
      assert.equal((await cli(["ip"], { db, env, cwd: `${tmp.path}/${wt}` })).code, 0);
    }
    await git(app, "worktree", "remove", `${tmp.path}/wt-removed`);
    await git(app, "worktree", "remove", `${tmp.path}/wt-moved`);
    await git(app, "checkout", "-q", "s2-moved"); // the main checkout takes that branch over
    const r = await cli(["cleanup", "--json"], { db, env, cwd: app });
    assert.equal(r.code, 0, r.stderr);
    const removed = JSON.parse(r.stdout).allocations as { branch: string; reason: string }[];
    assert.deepEqual(removed.map((a) => a.branch), ["s2-removed"]);
    assert.match(
      removed[0]?.reason ?? "",
      /its worktree is gone: git no longer lists .*worktrees\/wt-removed/,
    );
    // Used from the main checkout, the branch no longer depends on the removed worktree.
    assert.equal((await cli(["ip"], { db, env, cwd: app })).code, 0);
    await git(app, "checkout", "-q", "main");
    const again = await cli(["cleanup", "--json"], { db, env, cwd: app });
    assert.deepEqual(JSON.parse(again.stdout).allocations, []);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("cleanup expires port reservations unused for cleanup.expire_after without --older-than", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const env = { TREEHOUSE_PORTS_OCCUPANCY_TCP: "0", TREEHOUSE_PORTS_OCCUPANCY_UDP: "0" };
    for (const name of ["fresh", "old"]) {
      await Deno.mkdir(`${tmp.path}/${name}`);
      const r = await cli(["port", "reserve", "--path", `${tmp.path}/${name}`], { db, cwd: tmp.path, env });
      assert.equal(r.code, 0, r.stderr);
    }
    const sqlite = new DatabaseSync(db);
    try {
      sqlite.prepare("UPDATE reservations SET last_used_at = ? WHERE path = ?")
        .run(Date.now() - 40 * 86_400_000, `${tmp.path}/old`);
    } finally {
      sqlite.close();
    }
    const paths = (stdout: string) => JSON.parse(stdout).reservations.map((r: { path: string }) => r.path);
    const longer = await cli(["cleanup", "--dry-run", "--json"], {
      db,
      cwd: tmp.path,
      env: { ...env, TREEHOUSE_CLEANUP_EXPIRE_AFTER: "60d" },
    });
    assert.equal(longer.code, 0, longer.stderr);
    assert.deepEqual(paths(longer.stdout), []);
    const dry = await cli(["cleanup", "--dry-run", "--json"], { db, cwd: tmp.path, env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(paths(dry.stdout), [`${tmp.path}/old`]);
    assert.match(JSON.parse(dry.stdout).reservations[0].reason, /not used for 40d/);
  } finally {
    await tmp.cleanup();
  }
});
