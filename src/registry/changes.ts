/** A cheap change counter for watchers (the dashboard, `list --watch`). */
import type { Registry } from "./registry.ts";
import { connection } from "./connection.ts";

/**
 * SQLite's `PRAGMA data_version`: it changes whenever another connection committed since the last
 * call on this connection (this connection's own writes do not count), and costs no table read.
 */
export function dataVersion(registry: Registry): number {
  return registry.read(() => {
    const row = connection(registry).prepare("PRAGMA data_version").get() as
      | { data_version?: number }
      | undefined;
    return Number(row?.data_version ?? 0);
  });
}
