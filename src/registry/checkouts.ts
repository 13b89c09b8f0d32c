/**
 * Which linked worktree each branch was last used from (table `checkouts`, migration 6): cleanup
 * removes a branch's allocation once git no longer lists that worktree.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Registry } from "./registry.ts";
import { connection } from "./connection.ts";

/**
 * Records (project, branch) → git dir (null: used from the main worktree, so forgotten); writes only
 * when it changed. Call inside a write transaction.
 */
export function recordCheckout(
  db: DatabaseSync,
  project_path: string,
  branch: string,
  git_dir: string | null,
  now: number,
): void {
  if (git_dir === null) {
    db.prepare("DELETE FROM checkouts WHERE project_path = ? AND branch = ?").run(project_path, branch);
    return;
  }
  db.prepare(
    `INSERT INTO checkouts (project_path, branch, git_dir, seen_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (project_path, branch) DO UPDATE SET git_dir = excluded.git_dir, seen_at = excluded.seen_at
       WHERE checkouts.git_dir != excluded.git_dir`,
  ).run(project_path, branch, git_dir, now);
}

/** The git dir recorded for (project, branch), or null. */
export function recordedCheckout(db: DatabaseSync, project_path: string, branch: string): string | null {
  const row = db.prepare("SELECT git_dir FROM checkouts WHERE project_path = ? AND branch = ?")
    .get(project_path, branch);
  return row ? String(row.git_dir) : null;
}

/** The recorded worktree git dirs, keyed `project\0branch` (one project's, or all). */
export function checkoutsOf(registry: Registry, project_path?: string): Map<string, string> {
  return registry.read(() => {
    const rows = project_path === undefined
      ? connection(registry).prepare("SELECT project_path, branch, git_dir FROM checkouts").all()
      : connection(registry).prepare(
        "SELECT project_path, branch, git_dir FROM checkouts WHERE project_path = ?",
      )
        .all(project_path);
    return new Map(rows.map((r) => [`${String(r.project_path)}\0${String(r.branch)}`, String(r.git_dir)]));
  });
}
