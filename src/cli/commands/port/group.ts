/** `treehouse port reserve-group FILE` and `autoreserve`: a project's group, all or nothing. */
import type { GroupConfig } from "../../../adapters/config-files.ts";
import { trustFor } from "../../../services/settings.ts";
import { ConfigError, NotFoundError } from "../../../errors.ts";
import {
  detectShell,
  type GROUP_FORMATS,
  type NamedPort,
  renderPorts,
  type SHELLS,
} from "../../port-format.ts";
import { normalizeLexical } from "../../../adapters/paths.ts";
import { policyOf, reserveNamedPorts } from "../../../services/reserve/reserve.ts";
import type { Registry } from "../../../registry/registry.ts";
import type { AppContext } from "../../context.ts";
import { out, say } from "../../output.ts";
import { settingsOf, withRegistry } from "./common.ts";

/** Flags of `reserve-group` and `autoreserve`. */
export interface GroupFlags {
  readonly format?: (typeof GROUP_FORMATS)[number];
  readonly shell?: (typeof SHELLS)[number];
}

/** Reserves `group` (keyed by its directory, canonicalized) and returns its named ports. */
export function reserveGroupPorts(ctx: AppContext, registry: Registry, group: GroupConfig): NamedPort[] {
  const { ports, cleaned } = reserveNamedPorts(
    registry,
    group,
    policyOf(settingsOf(ctx)),
    Date.now(),
    ctx.host.probe,
  );
  if (cleaned > 0) say(ctx, `Port range was full: removed ${cleaned} stale reservation(s)`);
  return ports;
}

function print(ctx: AppContext, ports: NamedPort[], flags: GroupFlags): void {
  out(ctx, renderPorts(ports, flags.format ?? "human", flags.shell ?? detectShell(ctx.env("SHELL"))));
}

/** `reserve-group FILE`: reserves the `[group]` declared in FILE. */
export default function reserveGroupCommand(this: AppContext, flags: GroupFlags, file: string): void {
  const path = normalizeLexical(file, this.cwd, this.env("HOME"));
  const config = this.config.read(path, "project", trustFor(this.config));
  if (!config) {
    throw new NotFoundError(`No such file: ${path}`, { hint: "Pass a treehouse.toml with a [group]" });
  }
  if (!config.group) {
    throw new ConfigError(`${path} declares no [group]`, {
      hint: "Add e.g. [group] base = 6000, then [group.web] offset = 0 and [group.api] offset = 1",
    });
  }
  const group = config.group;
  print(this, withRegistry(this, (registry) => reserveGroupPorts(this, registry, group)), flags);
}

/** `autoreserve`: finds the nearest configuration file with a `[group]` and reserves it. */
export function autoreserve(this: AppContext, flags: GroupFlags): void {
  const group = settingsOf(this).group;
  if (!group) {
    throw new NotFoundError(`No treehouse.toml with a [group] in ${this.cwd} or above`, {
      hint: "Declare one: [group] base = 6000, then [group.web] offset = 0 (see treehouse port --help)",
    });
  }
  say(this, `Using ${group.file}`);
  print(this, withRegistry(this, (registry) => reserveGroupPorts(this, registry, group)), flags);
}
