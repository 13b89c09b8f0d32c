/**
 * The platform treehouse sets up for, chosen by the operating system and overridable with
 * `TREEHOUSE_PLATFORM=macos|linux` (tests drive the macOS code on Linux through fake programs). The
 * probes of the machine itself (processes, sockets) follow the real system: see `Host` (host.ts).
 */
import { UsageError } from "../../errors.ts";
import type { Env } from "../../registry/path.ts";

/** Platforms with their own setup. */
export type PlatformName = "macos" | "linux";

/** What differs between platforms for setup and doctor. */
export interface Platform {
  readonly name: PlatformName;
  /** Pool IPs other than 127.0.0.1 need an `lo0` alias (macOS) or are local already (Linux). */
  readonly needsAliases: boolean;
  /** Programs that announce a name over mDNS, in order of preference. */
  readonly mdnsTools: readonly string[];
  /** The command that installs mDNS support. */
  readonly mdnsInstall: string;
}

/** macOS: aliases needed; `dns-sd` ships with the system. */
export const MACOS: Platform = {
  name: "macos",
  needsAliases: true,
  mdnsTools: ["dns-sd"],
  mdnsInstall: "(dns-sd ships with macOS: check that /usr/bin is on PATH)",
};

/** Linux: all of 127/8 is local; mDNS through avahi and nss-mdns. */
export const LINUX: Platform = {
  name: "linux",
  needsAliases: false,
  mdnsTools: ["avahi-publish", "avahi-resolve"],
  mdnsInstall: "sudo apt-get install avahi-daemon avahi-utils libnss-mdns   # or dnf/pacman: avahi nss-mdns",
};

/**
 * The platform: `TREEHOUSE_PLATFORM` if set, else from the operating system (`Host.os`, which the CLI
 * runner read from `Deno.build.os`).
 */
export function currentPlatform(env: Env, os: string): Platform {
  const forced = env("TREEHOUSE_PLATFORM");
  if (forced === "macos") return MACOS;
  if (forced === "linux") return LINUX;
  if (forced) {
    throw new UsageError(`Invalid TREEHOUSE_PLATFORM: "${forced}"`, {
      hint: "Use macos or linux, or unset it",
    });
  }
  return os === "darwin" ? MACOS : LINUX;
}
