/**
 * Extra variables `treehouse run` gives its child beyond the allocation's own: the ports of the
 * project's reservation group (`[group]` in the nearest treehouse.toml), e.g. `TREEHOUSE_PORT_WEB`.
 */
import type { AppContext } from "../cli/context.ts";
import { openRegistry } from "../cli/target.ts";
import { loadSettings } from "../config/settings.ts";

/**
 * Variables to add to the child's environment for a run started in `cwd`. Without a group (no
 * configuration file at all, or none with `[group]`) this is `{}` and touches nothing; with one, the
 * group is reserved (idempotent: the same ports every run). An invalid configuration file or a full
 * port range is reported like any other command's error.
 */
export async function extraEnv(ctx: AppContext, cwd: string): Promise<Record<string, string>> {
  const settings = loadSettings(ctx.env, cwd);
  const group = settings.group;
  if (!group) return {};
  // Loaded only for a group: a plain `run` wrapper stays small.
  const { reserveNamedPorts } = await import("../ports/reserve.ts");
  const registry = openRegistry(ctx);
  try {
    const { ports } = reserveNamedPorts(registry, group, {
      portRange: settings.portRange,
      excludedPorts: settings.excludedPorts,
      occupancy: settings.occupancy,
      cleanupOnExhaustion: settings.cleanupOnExhaustion,
      expireAfterMs: settings.expireAfterMs,
    }, Date.now());
    return Object.fromEntries(ports.map((p) => [p.env, String(p.port)]));
  } finally {
    registry.close();
  }
}
