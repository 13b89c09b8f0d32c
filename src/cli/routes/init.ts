/** `treehouse init` (issue 16), registered in `src/cli/app.ts`. */
import { buildCommand } from "@stricli/core";
import { docs, jsonFlag, switchFlag } from "../flags.ts";
import { guard } from "../guard.ts";

const init = buildCommand({
  loader: async () => guard((await import("../commands/init.ts")).default),
  parameters: {
    flags: {
      dryRun: switchFlag("Print the treehouse.toml init would write; write nothing"),
      force: switchFlag("Replace an existing treehouse.toml"),
      agents: switchFlag(
        "Also add the dev-server section to AGENTS.md (once); alone, keeps an existing treehouse.toml",
      ),
      ...jsonFlag,
    },
  },
  docs: docs(
    "Detect the project's frameworks and write treehouse.toml with [run], so a plain `treehouse run` starts it",
    ["treehouse init --dry-run", "treehouse init", "treehouse init --agents"],
    "Reads package.json, deno.json, mix.exs, Gemfile, manage.py, pyproject.toml, requirements.txt, go.mod, " +
      "hugo.toml, compose files and the frameworks' config files in the worktree's root; prints the settings " +
      "to change (allowed hosts) and the AGENTS.md section. Exit 7 when treehouse.toml exists (--force).",
  ),
});

/** The `init` command. */
export const initRoutes = { init };
