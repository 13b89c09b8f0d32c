/**
 * Schema migrations, applied in order inside one `BEGIN IMMEDIATE` transaction so two first-time
 * processes cannot race. `PRAGMA user_version` records how many have run.
 */

/** One migration: the SQL that takes the schema from version `index` to `index + 1`. */
export const MIGRATIONS: readonly string[] = [
  // 1: allocations, one row per (project, branch).
  `CREATE TABLE IF NOT EXISTS allocations (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     project_path TEXT NOT NULL,
     branch TEXT NOT NULL,
     ip TEXT NOT NULL UNIQUE,
     hostname TEXT NOT NULL UNIQUE,
     db_name TEXT NOT NULL,
     port INTEGER,
     pid INTEGER,
     pid_started_at INTEGER,
     allocated_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL,
     UNIQUE (project_path, branch)
   );
   CREATE INDEX IF NOT EXISTS allocations_last_seen ON allocations (last_seen_at);`,
  // 2: port reservations, one row per (path, tag; '' = untagged), and excluded port ranges.
  `CREATE TABLE IF NOT EXISTS reservations (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     path TEXT NOT NULL,
     tag TEXT NOT NULL DEFAULT '',
     port INTEGER NOT NULL UNIQUE,
     project TEXT,
     task TEXT,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER NOT NULL,
     expires_at INTEGER,
     UNIQUE (path, tag)
   );
   CREATE INDEX IF NOT EXISTS reservations_last_used ON reservations (last_used_at);
   CREATE INDEX IF NOT EXISTS reservations_project ON reservations (project);
   CREATE TABLE IF NOT EXISTS port_exclusions (
     first INTEGER NOT NULL,
     last INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (first, last)
   );`,
  // 3: runs, one row per running (or last) `treehouse run` of an allocation and service (issue 15).
  `CREATE TABLE IF NOT EXISTS runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     allocation_id INTEGER NOT NULL,
     service TEXT NOT NULL,
     name TEXT,
     port INTEGER NOT NULL,
     state TEXT NOT NULL,
     reason TEXT,
     pid INTEGER,
     pid_started_at INTEGER,
     wrapper_pid INTEGER NOT NULL,
     wrapper_started_at INTEGER,
     run_id TEXT NOT NULL,
     socket TEXT,
     log TEXT,
     detached INTEGER NOT NULL DEFAULT 0,
     restarts INTEGER NOT NULL DEFAULT 0,
     command TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     ready_at INTEGER,
     ended_at INTEGER,
     last_seen_at INTEGER NOT NULL,
     UNIQUE (allocation_id, service)
   );
   CREATE INDEX IF NOT EXISTS runs_allocation ON runs (allocation_id);`,
  // 4: what `treehouse run` remembers between runs (issue 16): the port a branch's service was given
  // with --port, the project [run] commands the user agreed to run, and notices already shown.
  `CREATE TABLE IF NOT EXISTS run_ports (
     project_path TEXT NOT NULL,
     branch TEXT NOT NULL,
     service TEXT NOT NULL,
     port INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (project_path, branch, service)
   );
   CREATE TABLE IF NOT EXISTS run_consents (
     project_path TEXT NOT NULL,
     service TEXT NOT NULL,
     hash TEXT NOT NULL,
     decided_at INTEGER NOT NULL,
     PRIMARY KEY (project_path, service)
   );
   CREATE TABLE IF NOT EXISTS notices (
     project_path TEXT NOT NULL,
     key TEXT NOT NULL,
     shown_at INTEGER NOT NULL,
     PRIMARY KEY (project_path, key)
   );`,
  // 5: databases treehouse created (or adopted) on a server, one row per (server, name). A row in
  // state 'creating' is a create that has not finished: the next create makes the database again.
  `CREATE TABLE IF NOT EXISTS databases (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     server TEXT NOT NULL,
     name TEXT NOT NULL,
     project_path TEXT NOT NULL,
     branch TEXT NOT NULL,
     source TEXT,
     method TEXT NOT NULL,
     state TEXT NOT NULL,
     pid INTEGER,
     created_at INTEGER NOT NULL,
     UNIQUE (server, name)
   );
   CREATE INDEX IF NOT EXISTS databases_branch ON databases (project_path, branch);`,
  // 6: the linked worktree (its git dir) each branch was last used from, so that cleanup notices a
  // worktree removed with `git worktree remove` (issue 11). Rows of released branches are harmless.
  `CREATE TABLE IF NOT EXISTS checkouts (
     project_path TEXT NOT NULL,
     branch TEXT NOT NULL,
     git_dir TEXT NOT NULL,
     seen_at INTEGER NOT NULL,
     PRIMARY KEY (project_path, branch)
   );`,
  // 7: the URLs a `run --https` / `--port80` front serves while its wrapper runs (issue 13), for list,
  // info and env. A row whose wrapper is gone is ignored and replaced by the next front.
  `CREATE TABLE IF NOT EXISTS fronts (
     allocation_id INTEGER PRIMARY KEY REFERENCES allocations (id) ON DELETE CASCADE,
     wrapper_pid INTEGER NOT NULL,
     wrapper_started_at INTEGER,
     url TEXT NOT NULL,
     https_url TEXT,
     updated_at INTEGER NOT NULL
   );`,
  // 8: how a run's server last ended (issue 15): `status` says "exited with code 3" / "killed by SIGKILL".
  `ALTER TABLE runs ADD COLUMN exit_code INTEGER;
   ALTER TABLE runs ADD COLUMN signal TEXT;`,
];

/** The schema version this build of treehouse writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
