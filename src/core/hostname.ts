/**
 * Choosing a unique hostname label. Pure: the caller passes the labels already taken by other
 * allocations; the result is deterministic for the same inputs.
 */
import { shortHash } from "./hash.ts";
import { joinLabel, labelForBranch, sanitizeLabel } from "./sanitize.ts";

/** The candidates tried in order: the branch label, then with the project's name, then with a hash. */
export function hostnameCandidates(branch: string, projectPath: string, preferred?: string): string[] {
  const base = preferred ? labelForBranch(preferred) : labelForBranch(branch);
  const projectName = projectPath.split("/").filter(Boolean).pop() ?? "";
  const projectLabel = sanitizeLabel(projectName);
  const candidates = [base];
  if (projectLabel) candidates.push(joinLabel(base, projectLabel));
  candidates.push(joinLabel(base, shortHash(`${projectPath}\0${branch}`)));
  return candidates;
}

/** The first candidate not in `taken`; falls back to numbered variants (never loops forever). */
export function chooseHostname(
  branch: string,
  projectPath: string,
  taken: ReadonlySet<string>,
  preferred?: string,
): string {
  const candidates = hostnameCandidates(branch, projectPath, preferred);
  for (const candidate of candidates) if (!taken.has(candidate)) return candidate;
  const last = candidates[candidates.length - 1] ?? "branch";
  for (let i = 2;; i++) {
    const candidate = joinLabel(last, String(i));
    if (!taken.has(candidate)) return candidate;
  }
}
