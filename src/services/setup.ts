/** `treehouse setup` on macOS: whether the steps took (read back from the system after running them). */
import { SystemError } from "../errors.ts";
import { readMacState } from "../adapters/platform/macos.ts";

/**
 * Reads the state back after setup (or `--uninstall`) ran its steps: the done line, or a
 * SystemError naming what did not take.
 */
export function verifySetup(
  root: string,
  ips: readonly string[],
  flags: { readonly uninstall: boolean; readonly ports: boolean },
): string {
  const after = readMacState(root);
  if (flags.uninstall) {
    const left = ips.filter((ip) => ip !== "127.0.0.1" && after.aliases.has(ip));
    if (
      after.aliasPlist !== undefined || after.pfPlist !== undefined || after.anchor !== undefined ||
      left.length
    ) {
      throw new SystemError("Uninstall did not remove everything", {
        hint: `Still there: ${
          [
            after.aliasPlist && "alias plist",
            after.pfPlist && "pf plist",
            after.anchor && "pf anchor",
            ...left,
          ].filter(Boolean).join(", ")
        }`,
      });
    }
    return "Removed: the LaunchDaemons, the pf anchor and the pool's lo0 aliases";
  }
  const missing = ips.filter((ip) => !after.aliases.has(ip));
  if (missing.length > 0 || !after.aliasLoaded) {
    throw new SystemError(
      `Setup did not take: ${
        missing.length
          ? `lo0 lacks ${missing.length} alias(es), e.g. ${missing[0]}`
          : "the LaunchDaemon is not loaded"
      }`,
      { hint: "Run `treehouse doctor` to see what is wrong" },
    );
  }
  if (flags.ports && !after.pfLoaded) {
    throw new SystemError("Setup did not take: the pf LaunchDaemon is not loaded", {
      hint: "Run `treehouse doctor` to see what is wrong",
    });
  }
  return `Done: ${ips.length} lo0 aliases, restored at every boot${
    flags.ports ? "; ports 80 and 443 of every pool IP redirected" : ""
  }`;
}
