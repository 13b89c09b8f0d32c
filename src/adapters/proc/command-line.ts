/** A process's parent and command line (Linux: `/proc`; elsewhere: `ps`). */
import { probeOutput } from "../process/spawn.ts";

/** The parent pid of `pid`, or undefined when it is gone. */
export function parentOf(pid: number): number | undefined {
  if (Deno.build.os === "linux") {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      return Number.isInteger(ppid) ? ppid : undefined;
    } catch {
      return undefined;
    }
  }
  const out = probeOutput("ps", ["-o", "ppid=", "-p", String(pid)]);
  const ppid = Number(out?.stdout.trim());
  return out && Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** The command line of `pid` as words, or undefined when it is gone. */
export function commandLine(pid: number): string[] | undefined {
  if (Deno.build.os === "linux") {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean);
    } catch {
      return undefined;
    }
  }
  const out = probeOutput("ps", ["-o", "command=", "-p", String(pid)]);
  return out?.stdout.trim() ? out.stdout.trim().split(/\s+/) : undefined;
}
