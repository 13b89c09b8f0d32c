/**
 * Output formats for a set of named ports: `human`, `json`, `export` (bash/zsh or fish) and `dotenv`.
 * Pure: the caller detects the shell.
 */
import type { NamedPort } from "../services/reserve/reserve.ts";
import { json, renderVariables, table } from "./output.ts";

export type { NamedPort };

/** Formats `reserve-group` and `autoreserve` print. */
export const GROUP_FORMATS = ["human", "json", "export", "dotenv"] as const;
/** Shells `export` knows. */
export const SHELLS = ["bash", "zsh", "sh", "fish"] as const;

/** The shell named by `$SHELL` (fish or a POSIX shell). */
export function detectShell(shellVar: string | undefined): (typeof SHELLS)[number] {
  const name = (shellVar ?? "").split("/").pop() ?? "";
  return name === "fish" ? "fish" : name === "zsh" ? "zsh" : name === "sh" ? "sh" : "bash";
}

function variables(ports: readonly NamedPort[]): Record<string, string> {
  return Object.fromEntries(ports.map((p) => [p.env, String(p.port)]));
}

/** Renders ports in one of {@link GROUP_FORMATS}. */
export function renderPorts(
  ports: readonly NamedPort[],
  format: (typeof GROUP_FORMATS)[number],
  shell: (typeof SHELLS)[number] = "bash",
): string {
  switch (format) {
    case "human":
      return table(["TAG", "PORT", "VARIABLE"], ports.map((p) => [p.tag, String(p.port), p.env]));
    case "json":
      return json(Object.fromEntries(ports.map((p) => [p.tag, p.port])));
    case "export":
      return renderVariables(variables(ports), shell === "fish" ? "fish" : "shell");
    case "dotenv":
      return renderVariables(variables(ports), "dotenv");
  }
}
