/** The PATH check: `treehouse` on PATH is this version. */
import { onPath, runProgram } from "../../adapters/process/spawn.ts";
import type { Check } from "./checks.ts";
import { VERSION } from "../../version.ts";
import { type DoctorContext, problem } from "./context.ts";

export function checkPath(env: DoctorContext): Check {
  const found = onPath("treehouse", env.env("PATH"));
  if (found === undefined) {
    return {
      id: "path",
      status: "warn",
      detail: `treehouse ${VERSION} is not on PATH`,
      fix:
        "install it (README, Install: Homebrew, install.sh or a binary), or in a checkout: deno install -g -f -A -c deno.json -n treehouse main.ts",
    };
  }
  try {
    const r = runProgram([found, "--version"]);
    const version = r.stdout.trim().split(/\s+/).pop() ?? "";
    if (r.code === 0 && version === VERSION) {
      return { id: "path", status: "ok", detail: `${found} is treehouse ${VERSION}` };
    }
    return {
      id: "path",
      status: "warn",
      detail: `${found} is treehouse ${version || "(unknown)"}, this is ${VERSION}`,
      fix: `reinstall or remove ${found}`,
    };
  } catch (error) {
    return { id: "path", status: "warn", ...problem(error) };
  }
}
