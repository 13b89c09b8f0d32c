/**
 * `treehouse init`: detects the project's frameworks from its files, and writes `treehouse.toml`
 * with `[run]` (and `[group]` for what cannot bind the branch's IP) and, when asked, the AGENTS.md
 * section. Never overwrites a file without `force`.
 */
import { projectReader } from "../../adapters/project-files.ts";
import { statable as exists } from "../../adapters/paths.ts";
import {
  AGENTS_MARKER,
  agentsSnippet,
  type Detection,
  detectProject,
  renderConfig,
} from "../../core/init-detect.ts";
import { ConflictError } from "../../errors.ts";

/** What `init` found and would write. */
export interface InitPlan {
  /** The directory the file goes to (the worktree's root, else the current directory). */
  dir: string;
  file: string;
  text: string;
  detection: Detection;
  /** The file is there already. */
  exists: boolean;
  agents: { file: string; text: string; present: boolean };
}

/** The worktree root above `cwd` (the nearest directory with `.git`), else `cwd`. */
export function projectRoot(cwd: string): string {
  let dir = cwd.replace(/\/+$/, "") || "/";
  for (;;) {
    if (exists(`${dir}/.git`)) return dir;
    if (dir === "/") return cwd;
    const i = dir.lastIndexOf("/");
    dir = i <= 0 ? "/" : dir.slice(0, i);
  }
}

/** Works out what to write; nothing is written. */
export function planInit(cwd: string): InitPlan {
  const dir = projectRoot(cwd);
  const read = projectReader(dir);
  const detection = detectProject(read);
  const text = detection.services.length > 0 ? renderConfig(detection) : EMPTY_CONFIG;
  const agentsFile = `${dir}/AGENTS.md`;
  return {
    dir,
    file: `${dir}/treehouse.toml`,
    text,
    detection,
    exists: exists(`${dir}/treehouse.toml`),
    agents: {
      file: agentsFile,
      text: agentsSnippet(detection),
      present: read("AGENTS.md")?.includes(AGENTS_MARKER) ?? false,
    },
  };
}

const EMPTY_CONFIG = `# treehouse.toml, written by \`treehouse init\` (no framework recognised): fill in [run]
# [run]
# command = ["npm", "run", "dev"]   # what a plain \`treehouse run\` starts (it reads HOST and PORT)
# port = 4000
`;

/** Writes the plan's file (and the AGENTS.md section with `agents`); refuses to overwrite without `force`. */
export function writeInit(
  plan: InitPlan,
  options: { force: boolean; agents: boolean },
): { tomlWritten: boolean; agentsWritten: boolean } {
  // `--agents` alone on an existing file only adds the AGENTS.md section: the file may have been edited.
  const keepToml = plan.exists && !options.force && options.agents;
  if (plan.exists && !options.force && !keepToml) {
    throw new ConflictError(`${plan.file} exists already`, {
      hint:
        "See what init would write with `treehouse init --dry-run`; replace it with --force (`--agents` alone only adds the AGENTS.md section)",
    });
  }
  if (!keepToml) Deno.writeTextFileSync(plan.file, plan.text);
  let agentsWritten = false;
  if (options.agents && !plan.agents.present) {
    const before = exists(plan.agents.file) ? Deno.readTextFileSync(plan.agents.file) : "";
    const sep = before === "" ? "" : before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
    Deno.writeTextFileSync(plan.agents.file, `${before}${sep}${plan.agents.text}`);
    agentsWritten = true;
  }
  return { tomlWritten: !keepToml, agentsWritten };
}
