/** Linux: nothing to set up for IPs; what `treehouse setup` explains instead. */
import { onPath } from "../process/spawn.ts";

/** The advice `treehouse setup` prints on Linux, with what it found on this machine. */
export function linuxSetupAdvice(options: {
  pool: string;
  path: string | undefined;
  port80: boolean;
  uninstall: boolean;
  /** The `sudo … hosts sync` command, naming the registry in use. */
  hostsSync: string;
  /** The user's config file as it is found (`$XDG_CONFIG_HOME/treehouse/config.toml` when set). */
  userConfig?: string;
}): string {
  const publish = onPath("avahi-publish", options.path);
  const lines = [
    options.uninstall
      ? "Linux: setup installs nothing here, so there is nothing to uninstall."
      : "Linux: nothing to set up for IPs.",
    `All of 127.0.0.0/8 is local on Linux, so the pool ${options.pool} works as it is: no aliases, no root.`,
    "",
    "Hostnames (<branch>.local) need mDNS: avahi plus nss-mdns.",
    ...(publish
      ? [
        `  avahi-publish: found (${publish}), nothing to install.`,
        '  Names resolve when the "hosts:" line of /etc/nsswitch.conf has mdns4_minimal before dns',
        "  (libnss-mdns); `treehouse doctor` checks a round trip.",
      ]
      : [
        "  avahi-publish: not found. Install avahi and nss-mdns:",
        "  Debian/Ubuntu: sudo apt-get install avahi-daemon avahi-utils libnss-mdns",
        "  Fedora:        sudo dnf install avahi avahi-tools nss-mdns",
        "  Arch:          sudo pacman -S avahi nss-mdns",
        '  then check that the "hosts:" line of /etc/nsswitch.conf has mdns4_minimal before dns.',
      ]),
    "",
    "avahi announces every name to the whole network (it cannot keep them on this machine). For",
    `names that stay here, set mdns = "off" in ${
      options.userConfig ?? "~/.config/treehouse/config.toml"
    } and use the hosts file.`,
    "",
    "Without mDNS (or for browsers that ignore it), keep the names in /etc/hosts instead:",
    `  ${options.hostsSync}`,
    "  (again after new branches; `hosts clean` undoes it)",
    "",
    "Check everything with: treehouse doctor",
  ];
  if (options.port80) {
    lines.push(
      "",
      "--port80 is macOS only (pf). On Linux, let servers bind port 80 themselves:",
      "  sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** What {@link mdnsDaemonFix} looks at on this machine. */
export interface ServiceFacts {
  exists(path: string): boolean;
  onPath(name: string): boolean;
}

/** The real machine's facts (`path`: the PATH to search). */
export function serviceFacts(path: string | undefined): ServiceFacts {
  return {
    exists: (p) => {
      try {
        Deno.statSync(p);
        return true;
      } catch {
        return false;
      }
    },
    onPath: (name) => onPath(name, path) !== undefined,
  };
}

/**
 * The command that starts the mDNS daemon, fitting how this machine starts services: systemd
 * (`/run/systemd/system` exists only when systemd is PID 1), OpenRC, SysV `service`, else the daemon
 * itself (which needs the system D-Bus). macOS: mDNSResponder is launchd's.
 */
export function mdnsDaemonFix(platform: "linux" | "macos", facts: ServiceFacts): string {
  if (platform === "macos") return "sudo launchctl kickstart -k system/com.apple.mDNSResponder";
  if (facts.exists("/run/systemd/system")) return "sudo systemctl enable --now avahi-daemon";
  if (facts.onPath("rc-service")) return "sudo rc-service avahi-daemon start";
  if (facts.onPath("service") && facts.exists("/etc/init.d/avahi-daemon")) {
    return "sudo service avahi-daemon start";
  }
  const dbus = facts.exists("/run/dbus/system_bus_socket") ? "" : "sudo dbus-daemon --system --fork && ";
  return `${dbus}sudo avahi-daemon --daemonize`;
}

/** The command that installs avahi and nss-mdns with this machine's package manager. */
export function mdnsInstallCommand(facts: ServiceFacts): string {
  if (facts.onPath("apt-get")) return "sudo apt-get install avahi-daemon avahi-utils libnss-mdns";
  if (facts.onPath("dnf")) return "sudo dnf install avahi avahi-tools nss-mdns";
  if (facts.onPath("pacman")) return "sudo pacman -S avahi nss-mdns";
  if (facts.onPath("zypper")) return "sudo zypper install avahi avahi-utils nss-mdns";
  if (facts.onPath("apk")) return "sudo apk add avahi avahi-tools nss-mdns";
  return "install avahi (avahi-daemon, avahi-utils) and nss-mdns with your package manager";
}
