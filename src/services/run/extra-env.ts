/**
 * Extra variables `treehouse run` gives its child beyond the allocation's own: the ports of the
 * project's reservation group (`[group]` in the nearest treehouse.toml), e.g. `TREEHOUSE_PORT_WEB`.
 */
import type { Settings } from "../settings.ts";
import type { Registry } from "../../registry/registry.ts";
import type { ProbeFactory } from "../reserve/reserve.ts";

/**
 * Variables to add to the child's environment. Without a group (no configuration file at all, or none
 * with `[group]`) this is `{}` and touches nothing; with one, the group is reserved in `registry`
 * (idempotent: the same ports every run; `probeFor` checks which ports are in use). A full port range is reported like any other command's error.
 */
export async function extraEnv(
  registry: Registry,
  settings: Settings,
  probeFor: ProbeFactory,
): Promise<Record<string, string>> {
  const group = settings.group;
  if (!group) return {};
  // Loaded only for a group: a plain `run` wrapper stays small.
  const { policyOf, reserveNamedPorts } = await import("../reserve/reserve.ts");
  const { ports } = reserveNamedPorts(registry, group, policyOf(settings), Date.now(), probeFor);
  return Object.fromEntries(ports.map((p) => [p.env, String(p.port)]));
}
