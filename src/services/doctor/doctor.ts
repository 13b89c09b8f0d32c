/**
 * `treehouse doctor` as a use case: the checks in order, one per concern (each in its own file
 * here), each a {@link Check} with the command that fixes it as data. No parsing, no printing.
 */
import { checkRuns } from "../control/doctor.ts";
import { checkAnnouncers } from "./announcers.ts";
import type { Check } from "./checks.ts";
import type { DoctorContext } from "./context.ts";
import { checkHosts } from "./hosts.ts";
import { checkMdns } from "./mdns.ts";
import { checkPath } from "./path.ts";
import { checkPorts } from "./ports.ts";
import { checkRegistry } from "./registry.ts";
import { checkPool, checkSettings } from "./settings.ts";
import { checkStale } from "./stale.ts";

/** Runs every check of the machine and the registry; closes the registry it opened. */
export async function runChecks(d: DoctorContext, hostsFile: string | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    checks.push(checkRegistry(d));
    checks.push(checkSettings(d));
    checks.push(checkPool(d));
    const hosts = checkHosts(d, hostsFile);
    // The round trip's probe has ended (awaited) before the announcer check looks at announcers.
    checks.push(await checkMdns(d, hosts.inUse));
    checks.push(hosts.check);
    checks.push(checkAnnouncers(d));
    if (d.registry) checks.push(await checkRuns(d.registry, d.host.isAlive, Date.now(), d.fix));
    checks.push(checkPorts(d));
    checks.push(checkStale(d));
    checks.push(checkPath(d));
  } finally {
    d.registry?.close();
  }
  return checks;
}

/** The checks that failed and were not fixed: doctor exits 12 when there is any. */
export function brokenChecks(checks: readonly Check[]): Check[] {
  return checks.filter((c) => c.status === "fail" && !c.fixed);
}
