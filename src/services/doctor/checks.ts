/**
 * Doctor's plain parts: the shape of a check, how results are printed, and which running mDNS
 * announcers are stale (their name is no longer allocated) or orphaned (their server is gone).
 */

/** The outcome of one check. `fail` makes `doctor` exit non-zero; `warn` does not. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

/** One check's result. */
export interface Check {
  id: string;
  status: CheckStatus;
  /** One line saying what was found. */
  detail: string;
  /** The exact command that fixes it, when something is wrong. */
  fix?: string;
  /** `--fix` repaired it. */
  fixed?: boolean;
}

/** The human report: one line per check, the fixing command under each problem. */
export function formatChecks(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  let text = "";
  for (const c of checks) {
    const label = c.fixed ? "fixed" : c.status === "fail" ? "FAIL" : c.status;
    text += `${label.padEnd(5)}  ${c.id.padEnd(width)}  ${c.detail}\n`;
    if (c.fix && !c.fixed && c.status !== "ok") text += `${" ".repeat(7 + width)}  fix: ${c.fix}\n`;
  }
  return text;
}

/** A running announcer process (`avahi-publish`, `dns-sd`). */
export interface AnnouncerProcess {
  pid: number;
  ppid: number;
  argv: readonly string[];
}

/** What the registry says about an announced address. */
export interface Announced {
  ip: string;
  host: string;
}

/** The name prefix of doctor's own round-trip announcement (`treehouse-doctor-<random>.local`). */
export const PROBE_PREFIX = "treehouse-doctor-";

/**
 * The address doctor's round trip announces: one no branch holds or may be given, outside the pool
 * (127.0.0.2 upwards; 127.0.0.1 is localhost). Pure.
 */
export function probeAddress(pool: { first: number; last: number }, held: Iterable<string>): string {
  const taken = new Set(held);
  const base = (127 << 24) >>> 0;
  for (let n = base + 2; n < base + 0xffffff; n++) {
    if (n >= pool.first && n <= pool.last) continue;
    const ip = `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    if ((n & 255) === 0 || (n & 255) === 255 || taken.has(ip)) continue;
    return ip;
  }
  return "127.0.0.1";
}

/** Names of the programs that announce names. */
const ANNOUNCERS: ReadonlySet<string> = new Set(["avahi-publish", "avahi-publish-address", "dns-sd"]);

/** Whether a process's argv runs an announcer (directly, or a script through a shell). */
export function isAnnouncer(argv: readonly string[]): boolean {
  return argv.slice(0, 2).some((a) => ANNOUNCERS.has(a.slice(a.lastIndexOf("/") + 1)));
}

/**
 * Announcers publishing a pool IP that is no longer allocated or now has another name (stale), and
 * those whose parent died (orphaned: adopted by pid 1). Announcers of other addresses are left alone.
 */
export function staleAnnouncers(
  processes: readonly AnnouncerProcess[],
  inPool: (ip: string) => boolean,
  allocations: readonly Announced[],
): { pid: number; reason: string }[] {
  // An IP may be announced under several names: the branch's and its runs' extra names (`run --name`).
  const byIp = new Map<string, Announced[]>();
  for (const a of allocations) byIp.set(a.ip, [...(byIp.get(a.ip) ?? []), a]);
  const found: { pid: number; reason: string }[] = [];
  for (const p of processes) {
    if (!isAnnouncer(p.argv)) continue;
    // A doctor's own round-trip probe (this run's, or another doctor's at the same time) is never stale.
    if (p.argv.some((a) => a.startsWith(PROBE_PREFIX))) continue;
    const ip = p.argv.map((a) => a.replace(/^::ffff:/i, "")) // the IPv6 name address announces the same IP
      .find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && inPool(a));
    if (ip === undefined) continue;
    const names = byIp.get(ip);
    const allocation = names?.find((a) => p.argv.includes(a.host)) ?? names?.[0];
    if (allocation === undefined) {
      found.push({ pid: p.pid, reason: `announces ${ip}, which is no longer allocated` });
    } else if (!p.argv.includes(allocation.host)) {
      found.push({ pid: p.pid, reason: `announces ${ip} under another name than ${allocation.host}` });
    } else if (p.ppid === 1) {
      found.push({
        pid: p.pid,
        reason: `announces ${allocation.host} but the treehouse that started it is gone`,
      });
    }
  }
  return found;
}
