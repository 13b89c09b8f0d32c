/** Which allocation a command acts on. */

/** The key of an allocation plus the application name used for the database name. */
export interface Target {
  project_path: string;
  branch: string;
  app: string;
  /**
   * The git dir of the linked worktree the branch was taken from (`.git/worktrees/<name>`), when the
   * branch is the checkout's own: recorded so that cleanup notices the worktree once git forgets it.
   * `null`: the main worktree's own branch (nothing to notice).
   */
  checkout?: string | null;
}
