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
