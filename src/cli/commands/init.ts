/** `treehouse init`: detect the project's frameworks and write treehouse.toml with [run]. */
import { planInit, writeInit } from "../../services/init/init.ts";
import type { AppContext } from "../context.ts";
import { json, out, say } from "../output.ts";

/** Flags of `init`. */
export interface InitFlags {
  readonly dryRun?: boolean;
  readonly force?: boolean;
  readonly agents?: boolean;
  readonly json?: boolean;
}

export default function init(this: AppContext, flags: InitFlags): void {
  const plan = planInit(this.cwd);
  const found = plan.detection.services;
  if (flags.json) {
    out(this, json({ file: plan.file, exists: plan.exists, text: plan.text, ...plan.detection }));
  } else if (flags.dryRun) {
    out(this, plan.text);
  }
  if (!flags.dryRun) {
    const { tomlWritten, agentsWritten } = writeInit(plan, {
      force: flags.force === true,
      agents: flags.agents === true,
    });
    const what = found.length ? found.map((s) => s.framework).join(", ") : "no framework recognised";
    say(this, tomlWritten ? `treehouse: wrote ${plan.file} (${what})` : `treehouse: kept ${plan.file}`);
    if (agentsWritten) say(this, `treehouse: added the dev-server section to ${plan.agents.file}`);
    else if (flags.agents) say(this, `treehouse: ${plan.agents.file} has the dev-server section already`);
  }
  if (flags.json) return;
  const advice = found.flatMap((s) => s.advice);
  if (advice.length) say(this, `Settings to change:\n${advice.map((a) => `  ${a}`).join("\n")}`);
  if (plan.detection.databases.length) {
    say(
      this,
      `Databases (${plan.detection.databases.join(", ")}): name them with TREEHOUSE_DB_NAME per branch`,
    );
  }
  if (!plan.agents.present && !flags.agents) {
    // `--agents` on an existing treehouse.toml keeps it (no --force, which would replace an edited one).
    say(
      this,
      `For agents, add this to AGENTS.md (\`treehouse init --agents\` does it):\n${plan.agents.text}`,
    );
  }
  if (!flags.dryRun && found.length) say(this, "Start it with: treehouse run");
}
