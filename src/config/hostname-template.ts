/**
 * The `hostname_template` setting applied to an allocation: `{branch}` is the allocation's unique
 * label, `{project}` the project directory's name as a label. Pure. mDNS only answers `*.local`
 * names; other templates suit /etc/hosts.
 */
import { sanitizeLabel } from "../core/sanitize.ts";

/** Renders the full hostname, e.g. `{branch}.local` → `feature-x.local`. */
export function renderHostname(template: string, label: string, projectPath: string): string {
  const project = sanitizeLabel(projectPath.split("/").filter(Boolean).pop() ?? "") || "project";
  return template.replaceAll("{branch}", label).replaceAll("{project}", project).toLowerCase();
}
