/** `run`'s check that the branch's IP:port is free before the server starts, naming the holder if not. */
import { ConfigError, ConflictError, PermissionError } from "../../errors.ts";
import type { RunDeps } from "./types.ts";

/** Fails with the holder's pid and command when IP:port (or 0.0.0.0/:: at that port) is taken. */
export function ensurePortFree(
  deps: Pick<RunDeps, "net" | "platform">,
  ip: string,
  port: number,
  recordedPid: number | null,
): void {
  const check = deps.net.checkPortFree(ip, port);
  if (check.free) return;
  if (check.reason === "denied") {
    throw new PermissionError(`Cannot listen on ${ip}:${port}: permission denied`, {
      hint: port < 1024
        ? "Ports below 1024 need root: use --port 4000 (or another port above 1023)"
        : "Check what forbids listening on this address",
      cause: check.error,
    });
  }
  if (check.reason === "unavailable") {
    throw new ConfigError(`Cannot use ${ip}:${port}: ${check.error.message}`, {
      hint: deps.platform.needsAliases
        ? `Add the loopback aliases once with \`sudo treehouse setup\` (or: sudo ifconfig lo0 alias ${ip} up)`
        : "Check that the IP is a loopback address of this machine",
      cause: check.error,
    });
  }
  const holders = deps.net.findPortHolders(ip, port);
  const who = holders.length
    // The address is named only when it is not the one asked about (a 0.0.0.0 or :: listener).
    ? holders.map((h) => `pid ${h.pid} (${h.command})${h.address === ip ? "" : ` on ${h.address}:${port}`}`)
      .join(", ")
    : "another process (the OS does not say which)";
  const ours = holders.some((h) => h.pid === recordedPid);
  throw new ConflictError(`${ip}:${port} is already in use by ${who}`, {
    hint: ours
      ? "This branch's server is already running (`treehouse status`): stop it with `treehouse stop`, " +
        "or use --port N for a second server"
      : "Stop that process, or use --port N; a server listening on 0.0.0.0 or :: takes the port on every loopback IP",
  });
}
