/** `treehouse open [BRANCH] [--print]`: opens the run's URL in the default browser (open / xdg-open). */
import { MissingToolError } from "../../../errors.ts";
import { onPath, spawn } from "../../../adapters/process/spawn.ts";
import { status as runStatus } from "../../../services/control/runs.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say } from "../../output.ts";
import { type ControlFlags, runTarget, withControl } from "./common.ts";
import { frontsOf } from "../../target.ts";

/** Flags of `open`. */
export interface OpenFlags extends ControlFlags {
  readonly print?: boolean;
}

export default async function open(this: AppContext, flags: OpenFlags, branchArg?: string): Promise<void> {
  const target = runTarget(this, flags, branchArg);
  const { view, url } = await withControl(this, async (deps) => {
    const view = await runStatus(deps, target);
    // The best URL: a running HTTPS front's (run --https), unless the run serves under its own name.
    const front = view.name === null
      ? frontsOf(deps.registry, deps.isAlive).get(view.allocation_id)
      : undefined;
    return { view, url: front?.url ?? view.url };
  });
  if (flags.json) return out(this, json({ url, state: view.state }));
  if (flags.print) return out(this, `${url}\n`);
  // xdg-open first: Linux may have an unrelated `open` (openvt); macOS has `open` and rarely xdg-open.
  const opener = ["xdg-open", "open"].find((name) => onPath(name, this.env("PATH")) !== undefined);
  if (opener === undefined) {
    throw new MissingToolError(`Neither xdg-open nor open found: cannot open ${url}`, {
      hint: "Install xdg-utils, or print the URL with `treehouse open --print`",
    });
  }
  const child = spawn(opener, {
    args: [view.url],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    tool: true,
  });
  const exit = await child.exited;
  if (exit.code !== 0) {
    say(this, `treehouse: ${opener} exited with code ${exit.code}; the URL is ${view.url}`);
  }
}
