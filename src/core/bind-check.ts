/**
 * Is the server where it should be? After it starts, the addresses listening at its port tell:
 * the branch's IP is right; 127.0.0.1 or `::1` (localhost) is unreachable by the branch's name;
 * 0.0.0.0 or `::` takes the port on every branch's IP and on the LAN. Pure.
 */
import { type Preset, PRESETS } from "./presets.ts";

/** What the listening addresses say. */
export type BindVerdict =
  | { kind: "ok" }
  | { kind: "loopback"; address: string }
  | { kind: "wildcard"; address: string }
  | { kind: "none" };

const LOOPBACK: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]);
const WILDCARD: ReadonlySet<string> = new Set(["0.0.0.0", "::", "*"]);

/** Judges the addresses that started listening at the port (`before` are ones that were already there). */
export function judgeBind(
  addresses: readonly string[],
  ip: string,
  before: readonly string[] = [],
): BindVerdict {
  const fresh = addresses.filter((a) => !before.includes(a));
  if (fresh.includes(ip) || fresh.includes(`::ffff:${ip}`)) return { kind: "ok" };
  const wildcard = fresh.find((a) => WILDCARD.has(a));
  if (wildcard !== undefined) return { kind: "wildcard", address: wildcard };
  const loopback = fresh.find((a) => LOOPBACK.has(a));
  if (loopback !== undefined) return { kind: "loopback", address: loopback };
  return { kind: "none" };
}

/** How to make a server listen on the branch's IP: the preset's own flag, else the variables. */
export function bindFix(presetId: string | undefined): string {
  const preset: Preset | undefined = PRESETS.find((p) => p.id === presetId);
  if (preset?.id === "phoenix") return "read TREEHOUSE_IP in config/runtime.exs (see `treehouse init`)";
  for (const rule of preset?.rules ?? []) {
    if (rule.kind === "flag" && rule.value === "{ip}") return `pass ${rule.names[0]} {ip}`;
    if (rule.kind === "positional" && rule.value.includes("{ip}")) return `pass ${rule.value}`;
  }
  return "listen on $HOST (treehouse sets it to the branch's IP), or put {ip} in the command";
}

/** The warning for a verdict, or undefined when there is nothing to say. */
export function bindWarning(
  verdict: BindVerdict,
  v: { ip: string; port: number; host: string; presetId?: string; presetOff?: boolean },
): string | undefined {
  const fix = bindFix(v.presetId) + (v.presetOff && v.presetId ? " (or drop --no-preset)" : "");
  const at = (address: string) => address.includes(":") ? `[${address}]:${v.port}` : `${address}:${v.port}`;
  if (verdict.kind === "loopback") {
    return `The server listens on ${at(verdict.address)}, not on the branch's IP ${v.ip}: ` +
      `${v.host} and ${v.ip} do not reach it. Fix: ${fix}`;
  }
  if (verdict.kind === "wildcard") {
    return `The server listens on ${at(verdict.address)} (every address): it takes port ${v.port} on every ` +
      `branch's IP and on the LAN. Fix: ${fix}`;
  }
  return undefined;
}
