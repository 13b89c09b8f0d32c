/**
 * What `treehouse run` remembers between runs (issue 16): the port a branch's service was last
 * given with `--port` (it outlives the run), the project `[run]` commands the user agreed to run
 * (by content hash), and the one-time notices already shown. Every write is one short transaction.
 */
import type { Registry } from "./registry.ts";
import { connection } from "./connection.ts";

/** The key of a branch's service. */
export interface ServiceKey {
  project_path: string;
  branch: string;
  service: string;
}

/** The port recorded for a branch's service, or undefined. */
export function recordedPort(registry: Registry, key: ServiceKey): number | undefined {
  return registry.read(() => {
    const row = connection(registry).prepare(
      "SELECT port FROM run_ports WHERE project_path = ? AND branch = ? AND service = ?",
    ).get(key.project_path, key.branch, key.service) as { port?: unknown } | undefined;
    const port = Number(row?.port);
    return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : undefined;
  });
}

/** Every recorded port of a branch: service → port. */
export function recordedPorts(registry: Registry, project_path: string, branch: string): Map<string, number> {
  return registry.read(() => {
    const rows = connection(registry).prepare(
      "SELECT service, port FROM run_ports WHERE project_path = ? AND branch = ? ORDER BY service",
    ).all(project_path, branch) as { service: string; port: number }[];
    return new Map(rows.map((r) => [String(r.service), Number(r.port)]));
  });
}

/** Records the port a branch's service was given (`run --port N`). */
export function recordPort(registry: Registry, key: ServiceKey, port: number, now: number): void {
  registry.write(() => {
    connection(registry).prepare(
      `INSERT INTO run_ports (project_path, branch, service, port, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (project_path, branch, service) DO UPDATE SET port = excluded.port, updated_at = excluded.updated_at`,
    ).run(key.project_path, key.branch, key.service, port, now);
  });
}

/** True when the user agreed to run the project's service with exactly this content hash. */
export function hasConsent(registry: Registry, project_path: string, service: string, hash: string): boolean {
  return registry.read(() =>
    connection(registry).prepare(
      "SELECT 1 FROM run_consents WHERE project_path = ? AND service = ? AND hash = ?",
    )
      .get(project_path, service, hash) !== undefined
  );
}

/** Remembers that the user agreed to run the project's service as hashed. */
export function recordConsent(
  registry: Registry,
  project_path: string,
  service: string,
  hash: string,
  now: number,
): void {
  registry.write(() => {
    connection(registry).prepare(
      `INSERT INTO run_consents (project_path, service, hash, decided_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (project_path, service) DO UPDATE SET hash = excluded.hash, decided_at = excluded.decided_at`,
    ).run(project_path, service, hash, now);
  });
}

/**
 * Marks a notice as shown for the project; true when this is the first time (show it now), false
 * when it was shown before.
 */
export function firstNotice(registry: Registry, project_path: string, key: string, now: number): boolean {
  return registry.write(() => {
    const result = connection(registry).prepare(
      "INSERT INTO notices (project_path, key, shown_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ).run(project_path, key, now);
    return Number(result.changes) > 0;
  });
}
