/**
 * Runs: one record per `treehouse run` of an allocation and service (issue 15). The allocation keeps
 * the branch's IP, hostname and database; a run holds what one wrapper serves there: its service
 * name, port, the server's and the wrapper's pid, its state, control socket and log. A run that
 * ended keeps its row (state `stopped` or `crashed`, and why) until the next run of that service.
 *
 * The allocation's own `pid`/`port` keep naming one live run of the branch (the latest), so the
 * reclaim and clean-up rules written against allocations stay true with several runs.
 */
import { ConflictError, RegistryError } from "../errors.ts";
import { chooseHostname } from "../core/hostname.ts";
import type { AliveCheck, Allocation } from "./allocations.ts";
import { type Registry, withBusyWait } from "./registry.ts";
import { connection } from "./connection.ts";

/** What a run is doing. `stopped` and `crashed` are ended runs (the wrapper is gone). */
export type RunState = "starting" | "ready" | "restarting" | "crashed" | "stopped";

/** Every state, in the order they are documented. */
export const RUN_STATES: readonly RunState[] = ["starting", "ready", "restarting", "crashed", "stopped"];

/** One row of the `runs` table; the field names are the public JSON names. */
export interface RunRecord {
  id: number;
  allocation_id: number;
  service: string;
  /** Extra hostname label for the run's lifetime (`run --name`), or null. */
  name: string | null;
  port: number;
  state: RunState;
  /** Why the run ended (or crashed), when known. */
  reason: string | null;
  /** How the server last ended: its exit code, or null (still running, never ran, killed by a signal). */
  exit_code: number | null;
  /** The signal that last killed the server (`SIGKILL`), or null. */
  signal: string | null;
  /** The server command's own pid (changes on restart); null between children. */
  pid: number | null;
  pid_started_at: number | null;
  wrapper_pid: number;
  wrapper_started_at: number | null;
  /** The `TREEHOUSE_RUN_ID` tag of the run's processes. */
  run_id: string;
  /** The control socket's path. */
  socket: string | null;
  /** The log file of a detached run. */
  log: string | null;
  detached: boolean;
  restarts: number;
  /** The command line, as given (JSON array of strings in the table). */
  command: string[];
  started_at: number;
  ready_at: number | null;
  ended_at: number | null;
  last_seen_at: number;
}

/** A run with its allocation's key and address. */
export interface RunWithAllocation extends RunRecord {
  project_path: string;
  branch: string;
  ip: string;
  hostname: string;
}

/**
 * True for a run whose wrapper should still be running (it has not ended). A live run may be
 * `crashed` too: its server crashed and the wrapper waits to restart it.
 */
export function isLive(run: Pick<RunRecord, "ended_at">): boolean {
  return run.ended_at === null;
}

const COLUMNS =
  "r.id, r.allocation_id, r.service, r.name, r.port, r.state, r.reason, r.exit_code, r.signal, r.pid, " +
  "r.pid_started_at, " +
  "r.wrapper_pid, r.wrapper_started_at, r.run_id, r.socket, r.log, r.detached, r.restarts, r.command, " +
  "r.started_at, r.ready_at, r.ended_at, r.last_seen_at";
const JOINED = `SELECT ${COLUMNS}, a.project_path, a.branch, a.ip, a.hostname FROM runs r ` +
  "JOIN allocations a ON a.id = r.allocation_id";

/** Validates a row read back from disk, so a hand-edited registry fails clearly. */
export function toRun(row: unknown, path: string): RunWithAllocation {
  const r = row as Record<string, unknown>;
  const int = (v: unknown) => typeof v === "number" || typeof v === "bigint";
  const nint = (v: unknown) => v === null || v === undefined || int(v);
  const str = (v: unknown) => typeof v === "string";
  let command: unknown;
  try {
    command = JSON.parse(String(r?.command));
  } catch { /* invalid below */ }
  if (
    !r || !int(r.id) || !int(r.allocation_id) || !str(r.service) || !(r.name === null || str(r.name)) ||
    !int(r.port) || !RUN_STATES.includes(r.state as RunState) || !nint(r.pid) || !nint(r.exit_code) ||
    !nint(r.pid_started_at) ||
    !int(r.wrapper_pid) || !nint(r.wrapper_started_at) || !str(r.run_id) || !int(r.restarts) ||
    !int(r.started_at) || !int(r.last_seen_at) || !Array.isArray(command) ||
    !command.every((c) => typeof c === "string")
  ) {
    throw new RegistryError(`Registry ${path} holds an invalid run row (id ${String(r?.id)})`, {
      hint: "Remove it with `treehouse cleanup`, or move the registry away",
    });
  }
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const s = (v: unknown) => (typeof v === "string" ? v : null);
  return {
    id: Number(r.id),
    allocation_id: Number(r.allocation_id),
    service: String(r.service),
    name: s(r.name),
    port: Number(r.port),
    state: r.state as RunState,
    reason: s(r.reason),
    exit_code: n(r.exit_code),
    signal: s(r.signal),
    pid: n(r.pid),
    pid_started_at: n(r.pid_started_at),
    wrapper_pid: Number(r.wrapper_pid),
    wrapper_started_at: n(r.wrapper_started_at),
    run_id: String(r.run_id),
    socket: s(r.socket),
    log: s(r.log),
    detached: Number(r.detached) !== 0,
    restarts: Number(r.restarts),
    command: command as string[],
    started_at: Number(r.started_at),
    ready_at: n(r.ready_at),
    ended_at: n(r.ended_at),
    last_seen_at: Number(r.last_seen_at),
    project_path: String(r.project_path ?? ""),
    branch: String(r.branch ?? ""),
    ip: String(r.ip ?? ""),
    hostname: String(r.hostname ?? ""),
  };
}

/** What a new run records. */
export interface NewRun extends
  Pick<
    RunRecord,
    | "allocation_id"
    | "service"
    | "name"
    | "port"
    | "wrapper_pid"
    | "wrapper_started_at"
    | "run_id"
    | "socket"
    | "log"
    | "detached"
  > {
  command: readonly string[];
  now: number;
}

/**
 * Records a new run in state `starting`, replacing an ended run of the same service. A live run of
 * that service (its wrapper still running, per `isAlive`) is a {@link ConflictError} naming it.
 */
export function startRun(registry: Registry, run: NewRun, isAlive: AliveCheck): RunWithAllocation {
  const previous = findRun(registry, run.allocation_id, run.service);
  // Liveness outside the write lock (a `ps` on macOS); the write only replaces the row it checked.
  const previousAlive = previous !== undefined && isLive(previous) &&
    isAlive(previous.wrapper_pid, previous.wrapper_started_at);
  if (previous && previousAlive) throw liveConflict(previous);
  return registry.write(() => {
    const db = connection(registry);
    const row = db.prepare("SELECT id, state, wrapper_pid FROM runs WHERE allocation_id = ? AND service = ?")
      .get(run.allocation_id, run.service);
    if (row) {
      const same = previous !== undefined && Number(row.id) === previous.id &&
        Number(row.wrapper_pid) === previous.wrapper_pid;
      if (!same) {
        throw new ConflictError(`Another run of service "${run.service}" started meanwhile`, {
          hint: "Check `treehouse status --all`, or start this one with --service NAME",
        });
      }
      db.prepare("DELETE FROM runs WHERE id = ?").run(Number(row.id));
    }
    const result = db.prepare(
      `INSERT INTO runs (allocation_id, service, name, port, state, reason, pid, pid_started_at, wrapper_pid,
         wrapper_started_at, run_id, socket, log, detached, restarts, command, started_at, ready_at, ended_at,
         last_seen_at) VALUES (?, ?, ?, ?, 'starting', NULL, NULL, NULL, ?, ?, ?, ?, ?, ?, 0, ?, ?, NULL, NULL, ?)`,
    ).run(
      run.allocation_id,
      run.service,
      run.name,
      run.port,
      run.wrapper_pid,
      run.wrapper_started_at,
      run.run_id,
      run.socket,
      run.log,
      run.detached ? 1 : 0,
      JSON.stringify(run.command),
      run.now,
      run.now,
    );
    const id = Number(result.lastInsertRowid);
    return toRun(db.prepare(`${JOINED} WHERE r.id = ?`).get(id), registry.path);
  });
}

function liveConflict(previous: RunWithAllocation): ConflictError {
  return new ConflictError(
    `Branch ${previous.branch} already runs service "${previous.service}" (wrapper pid ${previous.wrapper_pid}, ` +
      `port ${previous.port})`,
    {
      hint:
        "Stop it first (treehouse stop), restart it (treehouse restart), or name this one: --service NAME",
    },
  );
}

/** The run of (allocation, service), live or ended, or `undefined`. */
export function findRun(
  registry: Registry,
  allocationId: number,
  service: string,
): RunWithAllocation | undefined {
  return registry.read(() => {
    const row = connection(registry).prepare(`${JOINED} WHERE r.allocation_id = ? AND r.service = ?`)
      .get(allocationId, service);
    return row ? toRun(row, registry.path) : undefined;
  });
}

/** The run with this id, or `undefined`. */
export function getRun(registry: Registry, id: number): RunWithAllocation | undefined {
  return registry.read(() => {
    const row = connection(registry).prepare(`${JOINED} WHERE r.id = ?`).get(id);
    return row ? toRun(row, registry.path) : undefined;
  });
}

/** Every run (of one project, or of one branch of it), ordered by branch, then service. */
export function listRuns(
  registry: Registry,
  filter: { project_path?: string; branch?: string } = {},
): RunWithAllocation[] {
  return registry.read(() => {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.project_path !== undefined) {
      where.push("a.project_path = ?");
      args.push(filter.project_path);
    }
    if (filter.branch !== undefined) {
      where.push("a.branch = ?");
      args.push(filter.branch);
    }
    const sql = `${JOINED}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ` +
      "ORDER BY a.project_path, a.branch, r.service";
    return connection(registry).prepare(sql).all(...args).map((row) => toRun(row, registry.path));
  });
}

/** The labels live runs use as extra names (`run --name`): taken for new names, announced legitimately. */
export function liveRunNames(registry: Registry): { ip: string; name: string }[] {
  return listRuns(registry).filter((r) => isLive(r) && r.name !== null).map((r) => ({
    ip: r.ip,
    name: r.name as string,
  }));
}

/**
 * The label for a run's extra name (`run --name`): `name` made unique among every allocation's
 * hostname and the other live runs' names. The run's own branch label counts as taken too.
 */
export function runLabel(
  registry: Registry,
  allocation: Allocation,
  name: string,
  reserved: readonly string[] = [],
): string {
  const taken = registry.read(() =>
    new Set(
      connection(registry).prepare(
        "SELECT hostname AS label FROM allocations UNION " +
          "SELECT name AS label FROM runs WHERE name IS NOT NULL AND ended_at IS NULL",
      ).all().map((r) => String(r.label)),
    )
  );
  for (const label of reserved) taken.add(label);
  return chooseHostname(allocation.branch, allocation.project_path, taken, name);
}

/** What changes when a run's server starts, becomes ready, restarts or crashes. */
export interface RunUpdate {
  state?: RunState;
  pid?: number | null;
  pid_started_at?: number | null;
  restarts?: number;
  ready_at?: number | null;
  reason?: string | null;
  exit_code?: number | null;
  signal?: string | null;
  now: number;
}

/**
 * Updates a live run (not an ended one: a late update never revives it). A new `pid` is also
 * recorded as the allocation's process. Returns whether the run was still live.
 */
export function updateRun(registry: Registry, id: number, update: RunUpdate): boolean {
  return registry.write(() => {
    const db = connection(registry);
    const sets: string[] = ["last_seen_at = ?"];
    const args: (string | number | null)[] = [update.now];
    const keys = [
      "state",
      "pid",
      "pid_started_at",
      "restarts",
      "ready_at",
      "reason",
      "exit_code",
      "signal",
    ] as const;
    for (const key of keys) {
      if (update[key] !== undefined) {
        sets.push(`${key} = ?`);
        args.push(update[key] as string | number | null);
      }
    }
    const changed = Number(
      db.prepare(
        `UPDATE runs SET ${sets.join(", ")} WHERE id = ? AND ended_at IS NULL`,
      ).run(...args, id).changes,
    );
    if (changed === 0) return false;
    if (update.pid !== undefined && update.pid !== null) {
      db.prepare(
        "UPDATE allocations SET pid = ?, pid_started_at = ?, port = (SELECT port FROM runs WHERE id = ?), " +
          "last_seen_at = ? WHERE id = (SELECT allocation_id FROM runs WHERE id = ?)",
      ).run(update.pid, update.pid_started_at ?? null, id, update.now, id);
    }
    return true;
  });
}

/**
 * Says why an ended run ended when its record does not (`run --detach` stopping a run at its ready
 * timeout: the wrapper only saw a SIGTERM). Returns whether the record was changed.
 */
export function noteEndReason(registry: Registry, id: number, reason: string, now: number): boolean {
  return registry.write(() =>
    Number(
      connection(registry).prepare(
        "UPDATE runs SET reason = ?, last_seen_at = ? WHERE id = ? AND ended_at IS NOT NULL AND reason IS NULL",
      ).run(reason, now, id).changes,
    ) > 0
  );
}

/** How a run ended: its state, why, and how its server last ended (when it did). */
export interface RunEnd {
  state: "stopped" | "crashed";
  reason: string | null;
  exit_code?: number | null;
  signal?: string | null;
  now: number;
  /** Only end the run when this wrapper still holds it. */
  wrapperPid?: number;
}

/**
 * Ends a run: state `stopped` (or `crashed`), no pid, why. The allocation's process becomes another
 * live run's (or none), so the branch's other servers keep it from being reclaimed. Returns whether
 * the run was live until now.
 */
export function endRun(
  registry: Registry,
  id: number,
  end: RunEnd,
): boolean {
  return registry.write(() => endRunInTransaction(registry, id, end));
}

function endRunInTransaction(registry: Registry, id: number, end: RunEnd): boolean {
  const db = connection(registry);
  const row = db.prepare("SELECT allocation_id, pid, wrapper_pid, ended_at FROM runs WHERE id = ?").get(id);
  if (!row || row.ended_at !== null) return false;
  if (end.wrapperPid !== undefined && Number(row.wrapper_pid) !== end.wrapperPid) return false;
  db.prepare(
    "UPDATE runs SET state = ?, reason = ?, pid = NULL, pid_started_at = NULL, ended_at = ?, last_seen_at = ? " +
      "WHERE id = ?",
  ).run(end.state, end.reason, end.now, end.now, id);
  if (end.exit_code !== undefined || end.signal !== undefined) {
    db.prepare("UPDATE runs SET exit_code = ?, signal = ? WHERE id = ?")
      .run(end.exit_code ?? null, end.signal ?? null, id);
  }
  const allocationId = Number(row.allocation_id);
  const other = db.prepare(
    "SELECT pid, pid_started_at, port FROM runs WHERE allocation_id = ? AND id != ? AND pid IS NOT NULL " +
      "AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1",
  ).get(allocationId, id);
  if (other) {
    db.prepare("UPDATE allocations SET pid = ?, pid_started_at = ?, port = ?, last_seen_at = ? WHERE id = ?")
      .run(
        Number(other.pid),
        other.pid_started_at as number | null,
        Number(other.port),
        end.now,
        allocationId,
      );
  } else if (row.pid !== null) {
    db.prepare(
      "UPDATE allocations SET pid = NULL, pid_started_at = NULL, last_seen_at = ? WHERE id = ? AND pid = ?",
    ).run(end.now, allocationId, Number(row.pid));
  }
  return true;
}

/** How long a run's heartbeat waits for another writer before skipping this beat. */
export const RUN_HEARTBEAT_BUSY_MS = 250;

/**
 * One heartbeat of a run and its allocation, waiting at most {@link RUN_HEARTBEAT_BUSY_MS} for the
 * write lock (the wrapper must stay free to forward signals). `"gone"`: the allocation was released.
 */
export function runHeartbeat(registry: Registry, id: number, now: number): "ok" | "busy" | "gone" {
  return withBusyWait(registry, RUN_HEARTBEAT_BUSY_MS, (db) => {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.prepare("UPDATE runs SET last_seen_at = ? WHERE id = ?").run(now, id);
      const changes = Number(
        db.prepare(
          "UPDATE allocations SET last_seen_at = ? WHERE id = (SELECT allocation_id FROM runs WHERE id = ?)",
        )
          .run(now, id).changes,
      );
      db.exec("COMMIT");
      return changes > 0 ? "ok" : "gone";
    } catch (error) {
      try {
        db.exec("ROLLBACK");
      } catch { /* gone already */ }
      throw error;
    }
  });
}

/**
 * Ends the live runs whose wrapper is gone (SIGKILLed, OOM, a reboot): state `stopped` with the
 * reason. Liveness is checked outside the write lock; only rows still held by the same wrapper are
 * ended. Returns the runs ended (their sockets are the caller's to remove).
 */
export function endDeadRuns(
  registry: Registry,
  now: number,
  isAlive: AliveCheck,
  filter: { project_path?: string } = {},
): RunWithAllocation[] {
  const dead = listRuns(registry, filter).filter((r) =>
    isLive(r) && !isAlive(r.wrapper_pid, r.wrapper_started_at)
  );
  if (dead.length === 0) return [];
  return registry.write(() =>
    dead.filter((r) =>
      endRunInTransaction(registry, r.id, {
        state: "stopped",
        reason: `the wrapper (pid ${r.wrapper_pid}) is gone`,
        now,
        wrapperPid: r.wrapper_pid,
      })
    )
  );
}

/**
 * Removes ended runs (older than `endedBefore`, when given) and runs whose allocation was released.
 * Returns how many rows went.
 */
export function pruneRuns(registry: Registry, endedBefore?: number): number {
  return registry.write(() => {
    const db = connection(registry);
    const orphans = Number(
      db.prepare("DELETE FROM runs WHERE allocation_id NOT IN (SELECT id FROM allocations)").run().changes,
    );
    const ended = Number(
      db.prepare(
        "DELETE FROM runs WHERE ended_at IS NOT NULL AND (? IS NULL OR ended_at < ?)",
      ).run(endedBefore ?? null, endedBefore ?? null).changes,
    );
    return orphans + ended;
  });
}
