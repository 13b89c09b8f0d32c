/**
 * The `hostname_template` setting applied to an allocation: `{branch}` is the allocation's unique
 * label, `{project}` the project directory's name as a label. Pure. mDNS only answers `*.local`
 * names; other templates suit /etc/hosts.
 */
import { sanitizeLabel } from "./sanitize.ts";

/** The default template: the branch label under `.local`, announced over mDNS. */
export const DEFAULT_TEMPLATE = "{branch}.local";

/** The full hostname of an allocation under `template` (default `{branch}.local`). */
export function hostFor(
  allocation: { hostname: string; project_path: string },
  template: string = DEFAULT_TEMPLATE,
): string {
  return renderHostname(template, allocation.hostname, allocation.project_path);
}

/** Renders the full hostname, e.g. `{branch}.local` → `feature-x.local`. */
export function renderHostname(template: string, label: string, projectPath: string): string {
  const project = sanitizeLabel(projectPath.split("/").filter(Boolean).pop() ?? "") || "project";
  return template.replaceAll("{branch}", label).replaceAll("{project}", project).toLowerCase();
}

/**
 * Why a template's names will not resolve over mDNS on Linux, or undefined. nss-mdns's
 * `mdns4_minimal` (the usual `/etc/nsswitch.conf` entry) looks up only single-label `.local` names
 * (`feature-x.local`), so `{branch}.{project}.local` is published but `getent`, `curl` and browsers
 * do not find it.
 */
export function multiLabelWarning(template: string): string | undefined {
  const sample = renderHostname(template, "feature-x", "/src/myapp");
  if (!sample.endsWith(".local") || sample.split(".").length <= 2) return undefined;
  const joined = template.replace(/\.local$/i, "").replaceAll("}.{", "}-{").replaceAll(".", "-");
  return `hostname_template "${template}" makes names of more than one label under .local ` +
    `(${sample}): nss-mdns (mdns4_minimal) resolves only single-label .local names, so getent, curl ` +
    `and browsers on Linux will not find them; use "${joined}.local", or the hosts file (treehouse hosts sync)`;
}
