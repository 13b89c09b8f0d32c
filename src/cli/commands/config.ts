/** `treehouse config`: the effective configuration and where each value came from. */
import { type KeyDef, type KeyName, KEYS } from "../../core/config-schema.ts";
import { loadSettings, trustFor } from "../../services/settings.ts";
import type { AppContext } from "../context.ts";
import { json, out, table, warn } from "../output.ts";
import { multiLabelWarning } from "../../core/hostname-template.ts";

export default function config(this: AppContext, flags: { readonly json?: boolean }): void {
  const settings = loadSettings(this.config, this.cwd);
  const trust = trustFor(this.config);
  const multi = multiLabelWarning(settings.hostnameTemplate);
  if (multi) warn(this, `${multi} (set in ${settings.sources.hostnameTemplate})`);
  const values: Record<string, unknown> = {
    pool: settings.pool,
    reclaimAfterMs: settings.reclaimAfterMs,
    staleAfterMs: settings.staleAfterMs,
    heartbeatMs: settings.heartbeatMs,
    hostnameTemplate: settings.hostnameTemplate,
    mdns: settings.mdns,
    defaultPort: settings.defaultPort,
    portRange: settings.portRange,
    excludedPorts: settings.excludedPorts,
    checkTcp: settings.occupancy.tcp,
    checkUdp: settings.occupancy.udp,
    checkIpv4: settings.occupancy.ipv4,
    checkIpv6: settings.occupancy.ipv6,
    cleanupOnExhaustion: settings.cleanupOnExhaustion,
    expireAfterMs: settings.expireAfterMs,
    dashboardListen: settings.dashboardListen,
    https: settings.https,
    databaseUrl: settings.database.url,
    databaseTemplate: settings.database.template,
    databaseFrom: settings.database.from,
    databaseCreate: settings.database.create,
  };
  const rows = (Object.entries(KEYS) as [KeyName, KeyDef][]).map(([name, def]) => ({
    key: def.key,
    value: def.show(values[name]),
    source: settings.sources[name],
    env: def.env[0] ?? null,
  }));
  const group = settings.group
    ? {
      file: settings.group.file,
      dir: settings.group.dir,
      base: settings.group.base ?? null,
      members: settings.group.members,
    }
    : null;
  if (flags.json) {
    out(
      this,
      json({
        values: Object.fromEntries(rows.map((r) => [r.key, r.value])),
        sources: Object.fromEntries(rows.map((r) => [r.key, r.source])),
        files: settings.files,
        group,
        run: settings.run ?? null,
        trust: { domains: trust.domains, keys: trust.keys },
      }),
    );
    return;
  }
  // An unset value reads "-" (as in list), never "null" or an empty cell.
  const shown = (v: unknown) => v === null || v === undefined || v === "" ? "-" : String(v);
  let text = table(["KEY", "VALUE", "SOURCE"], rows.map((r) => [r.key, shown(r.value), r.source]));
  text += `\nfiles (highest precedence first): ${
    settings.files.length ? settings.files.join(", ") : "none"
  }\n`;
  if (trust.domains.length || trust.keys.length) {
    text += `trust (project files may also): ${
      [
        trust.domains.length ? `names under ${trust.domains.join(", ")}` : "",
        trust.keys.length ? `set ${trust.keys.join(", ")} without limits` : "",
      ].filter(Boolean).join("; ")
    }\n`;
  }
  if (group) {
    text += `group (${group.file}): ${
      group.members.map((m) => `${m.tag}${m.port !== undefined ? `=${m.port}` : `+${m.offset ?? 0}`}`).join(
        ", ",
      )
    }\n`;
  }
  if (settings.run) {
    text += `run (${settings.run.file}): ${
      settings.run.services.map((s) =>
        `${s.name === "default" ? "[run]" : s.name} ${s.command?.join(" ") ?? "(typed)"}${
          s.port ? ` :${s.port}` : ""
        }`
      ).join(", ")
    }\n`;
  }
  out(this, text);
}
