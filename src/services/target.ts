/** Which allocation a command acts on. */

/** The key of an allocation plus the application name used for the database name. */
export interface Target {
  project_path: string;
  branch: string;
  app: string;
}
