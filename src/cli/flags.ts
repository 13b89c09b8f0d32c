/** Flag definitions shared by several commands (stricli parameter objects). */
import type { AppContext } from "./context.ts";

/** A plain string flag. */
export function stringFlag(brief: string, placeholder: string) {
  return { kind: "parsed", parse: String, brief, placeholder, optional: true } as const;
}

/** A boolean switch, off by default (no `--no-` form: there is nothing to turn off). */
export function switchFlag(brief: string) {
  return { kind: "boolean", brief, optional: true, withNegated: false } as const;
}

/** Rewrites a command's usage lines (root help and its own help) and its help text with `fix`. */
export function rewriteHelp<C extends { formatUsageLine(a: never): string; formatHelp(a: never): string }>(
  command: C,
  fix: (text: string) => string,
): C {
  const usage = command.formatUsageLine.bind(command);
  const help = command.formatHelp.bind(command);
  return Object.assign(command, {
    formatUsageLine: (a: never) => fix(usage(a)),
    formatHelp: (a: never) => fix(help(a)),
  });
}

/**
 * Shows switches that are on by default as users type them, `[--no-mdns]`, in the usage lines of the
 * root help and the command's own help (stricli shows `[--mdns]`, a flag nobody needs to type).
 */
export function negatedInUsage<C extends { formatUsageLine(a: never): string; formatHelp(a: never): string }>(
  command: C,
  flags: string[],
): C {
  return rewriteHelp(
    command,
    (text) => flags.reduce((t, flag) => t.replaceAll(`[--${flag}]`, `[--no-${flag}]`), text),
  );
}

/** Shell completion of branch names: the project's local branches and allocations. */
export async function proposeBranches(this: AppContext, partial: string): Promise<string[]> {
  return (await import("./completion-candidates.ts")).branchNames(this, partial);
}

/** `--branch`, `--project`, `--app`: which allocation a command acts on. */
export const branchFlags = {
  branch: {
    ...stringFlag(
      "Branch name (default: the current git branch); use --branch=NAME for names starting with -",
      "NAME",
    ),
    proposeCompletions: proposeBranches,
  },
  project: stringFlag("Project directory (default: the repository of the current directory)", "PATH"),
} as const;

/** `--app`: the application name used in database names. */
export const appFlag = {
  app: stringFlag(
    "Application name for the database name (default: project directory name, or TREEHOUSE_APP)",
    "NAME",
  ),
} as const;

/** `--json`: machine-readable output. */
export const jsonFlag = { json: switchFlag("Print JSON for scripts") } as const;

/** Documentation footer every command ends with: the global flags. */
export const GLOBAL_NOTE =
  "Global flags (before --): --db PATH (registry file; also TREEHOUSE_DB), --verbose (show error causes).";

/** Help text for a command: its brief, more detail, examples (required) and the global flags. */
export function docs(
  brief: string,
  examples: string[],
  more = "",
): { brief: string; fullDescription: string } {
  return {
    brief,
    fullDescription: `${brief}.${more ? `\n\n${more}` : ""}\n\nExamples:\n${
      examples.map((e) => `  ${e}`).join("\n")
    }\n\n${GLOBAL_NOTE}`,
  };
}

/** Parses a port number argument (1–65535); stricli reports a failure as a usage error. */
export function portNumber(text: string): number {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) < 1 || Number(text) > 65535) {
    throw new SyntaxError(`"${text}" is not a port number (1-65535)`);
  }
  return Number(text);
}

/** The optional `BRANCH` argument of commands that act on a branch (completes branch names). */
export const branchArg = {
  kind: "tuple",
  parameters: [{
    brief: "Branch name (default: the current branch)",
    parse: String,
    placeholder: "BRANCH",
    optional: true,
    proposeCompletions: proposeBranches,
  }],
} as const;
