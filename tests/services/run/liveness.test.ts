/** `treehouse run` liveness: heartbeats while running, stale clean-up of dead and reused pids on start. */
import assert from "node:assert/strict";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { cli, tempDir } from "../../helpers/cli.ts";
import {
  freePort,
  killAll,
  readPid,
  registryRow,
  SERVER_CMD,
  serverRunArgs,
  startCli,
  waitGone,
  waitUntil,
} from "../../helpers/harness.ts";
import { systemHost } from "../../../src/adapters/platform/host.ts";
import { heartbeat } from "../../../src/registry/liveness.ts";
import { Registry } from "../../../src/registry/registry.ts";

Deno.test("run refreshes last_seen_at on every heartbeat while the command runs", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const pidfile = `${tmp.path}/pid`;
  const port = freePort();
  const run = startCli(
    serverRunArgs("beat", tmp.path, port, [], ["--pidfile", pidfile]),
    { db, env: { TREEHOUSE_HEARTBEAT: "200ms" } },
  );
  let child: number | undefined;
  try {
    await run.waitStderr(/ready at/);
    child = await readPid(pidfile);
    const first = Number((await registryRow(db, "beat"))?.last_seen_at);
    let beats = 0;
    let last = first;
    await waitUntil(
      async () => {
        const now = Number((await registryRow(db, "beat"))?.last_seen_at);
        if (now > last) beats++;
        last = now;
        return beats >= 2;
      },
      10_000,
      "two heartbeats",
    );
    assert.ok(last > first);
    Deno.kill(run.pid, "SIGTERM");
    await run.status;
    await waitGone([child]);
  } finally {
    await run.ensureDead();
    killAll([child]);
    await tmp.cleanup();
  }
});

/** A pid that surely belongs to no process now: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

function setProcess(db: string, branch: string, pid: number, startedAt: number | null, lastSeen: number) {
  const handle = new DatabaseSync(db);
  try {
    handle.prepare("UPDATE allocations SET pid = ?, pid_started_at = ?, last_seen_at = ? WHERE branch = ?")
      .run(pid, startedAt, lastSeen, branch);
  } finally {
    handle.close();
  }
}

Deno.test("run warns once when its allocation is released while the server runs", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  const pidfile = `${tmp.path}/pid`;
  const port = freePort();
  const run = startCli(
    serverRunArgs("released", tmp.path, port, [], ["--pidfile", pidfile]),
    { db, env: { TREEHOUSE_HEARTBEAT: "100ms" } },
  );
  let child: number | undefined;
  try {
    await run.waitStderr(/ready at/);
    child = await readPid(pidfile);
    // `release` refuses while the server runs; the row can still go from under it (an older treehouse, a hand edit).
    const handle = new DatabaseSync(db);
    const row = handle.prepare("SELECT * FROM allocations WHERE branch = ?").get("released") as Record<
      string,
      SQLInputValue
    >;
    const release = () => handle.prepare("DELETE FROM allocations WHERE id = ?").run(row.id as number);
    // Puts the row back with a zero heartbeat and waits until the run's heartbeat writes it again.
    const observeBeat = async () => {
      const columns = Object.keys(row);
      handle.prepare(
        `INSERT INTO allocations (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
      )
        .run(...columns.map((c) => (c === "last_seen_at" ? 0 : row[c] as SQLInputValue)));
      await waitUntil(
        () => {
          const seen = handle.prepare("SELECT last_seen_at FROM allocations WHERE id = ?").get(
            row.id as number,
          );
          return Number(seen?.last_seen_at ?? 0) > 0;
        },
        10_000,
        "a heartbeat after the release",
      );
    };
    try {
      release();
      await run.waitStderr(/allocation of released was released while its server runs/);
      await observeBeat(); // the heartbeat goes on after warning
      release(); // released again: the run has warned already
      await observeBeat();
    } finally {
      handle.close();
    }
    assert.equal(run.stderr().match(/was released while its server runs/g)?.length, 1);
    Deno.kill(run.pid, "SIGTERM");
    assert.equal(await run.status, 143);
    await waitGone([child]);
  } finally {
    await run.ensureDead();
    killAll([child]);
    await tmp.cleanup();
  }
});

Deno.test("run cleans up stale allocations on start: dead pid or reused pid, heartbeat older than the stale time", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  try {
    for (const branch of ["dead-old", "dead-recent", "reused-old", "alive-old"]) {
      assert.equal((await cli(["ip", "--branch", branch, "--project", tmp.path], { db })).code, 0);
    }
    const now = Date.now();
    const hourAgo = now - 3_600_000;
    const dead = await deadPid();
    setProcess(db, "dead-old", dead, now - 7_200_000, hourAgo);
    setProcess(db, "dead-recent", dead, now - 7_200_000, now - 60_000);
    // Our own pid with another start time: a pid reused after a reboot.
    setProcess(db, "reused-old", Deno.pid, 1_000_000, hourAgo);
    setProcess(db, "alive-old", Deno.pid, systemHost(Deno.build.os).startTime(Deno.pid) ?? null, hourAgo);

    const starter = ["run", "--branch", "starter", "--project", tmp.path, "--no-mdns", "--quiet", "--"];
    const startAndExit = [...starter, ...SERVER_CMD, "--exit", "0"];
    const result = await cli(startAndExit, { db });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await registryRow(db, "dead-old"))?.pid, null, "dead and old: cleaned");
    assert.equal((await registryRow(db, "reused-old"))?.pid, null, "reused pid and old: cleaned");
    assert.equal((await registryRow(db, "dead-recent"))?.pid, dead, "recent heartbeat: kept");
    assert.equal((await registryRow(db, "alive-old"))?.pid, Deno.pid, "still running: kept");
    assert.notEqual((await registryRow(db, "dead-old"))?.ip, undefined, "the allocation itself stays");
    const list = JSON.parse((await cli(["list", "--project", tmp.path, "--json"], { db })).stdout) as {
      branch: string;
      running: boolean;
    }[];
    assert.deepEqual(
      Object.fromEntries(list.map((v) => [v.branch, v.running])),
      { "dead-old": false, "dead-recent": false, "reused-old": false, "alive-old": true, starter: false },
    );

    // TREEHOUSE_STALE_AFTER shortens the wait.
    const short = await cli(startAndExit, { db, env: { TREEHOUSE_STALE_AFTER: "30s" } });
    assert.equal(short.code, 0);
    assert.equal((await registryRow(db, "dead-recent"))?.pid, null, "older than 30s: cleaned");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("heartbeat() skips a beat instead of waiting when another process holds the write lock", async () => {
  const tmp = await tempDir();
  const db = `${tmp.path}/r.db`;
  try {
    await cli(["ip", "--branch", "locked", "--project", tmp.path], { db });
    const row = await registryRow(db, "locked");
    const registry = Registry.open(db);
    const other = new DatabaseSync(db);
    try {
      assert.equal(heartbeat(registry, Number(row?.id), Date.now()), "ok");
      other.exec("BEGIN IMMEDIATE");
      assert.equal(heartbeat(registry, Number(row?.id), Date.now()), "busy");
      other.exec("ROLLBACK");
      assert.equal(heartbeat(registry, 999_999, Date.now()), "gone");
    } finally {
      other.close();
      registry.close();
    }
  } finally {
    await tmp.cleanup();
  }
});
