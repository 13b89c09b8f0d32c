/** `treehouse open [BRANCH] [--print]`: opens the run's URL in the default browser (open / xdg-open). */
import { MissingToolError } from "../../../errors.ts";
import { onPath } from "../../../adapters/process/spawn.ts";
import { openWith } from "../../../adapters/browser-open.ts";
import { status as runStatus } from "../../../services/control/runs.ts";
import type { AppContext } from "../../context.ts";
import { json, out, say } from "../../output.ts";
import { type ControlFlags, runTarget, withControl, withFront } from "./common.ts";

/** Flags of `open`. */
export interface OpenFlags extends ControlFlags {
  readonly print?: boolean;
}

export default async function open(this: AppContext, flags: OpenFlags, branchArg?: string): Promise<void> {
  const target = runTarget(this, flags, branchArg);
  const { view, url } = await withControl(this, async (deps) => {
    // The best URL: a running HTTPS front's (run --https), unless the run serves under its own name.
    const view = withFront(deps, await runStatus(deps, target));
    return { view, url: view.url };
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
  const code = await openWith(opener, url);
  if (code !== 0) {
    say(this, `treehouse: ${opener} exited with code ${code}; the URL is ${url}`);
  }
}
