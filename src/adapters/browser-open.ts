/** Opens a URL in the user's default browser: `open` on macOS, `xdg-open` elsewhere. */
import { spawn } from "./process/spawn.ts";

/** The program that opens URLs on this platform. */
export function browserOpener(platform: "macos" | "linux"): string {
  return platform === "macos" ? "open" : "xdg-open";
}

/**
 * Starts the opener for `url` without waiting for the browser (the opener exits at once or lives
 * on as the browser; either way it is not ours to end). A missing opener raises MissingToolError.
 */
export function openInBrowser(url: string, platform: "macos" | "linux"): Promise<number> {
  return openWith(browserOpener(platform), url);
}

/** Runs `opener url` with no input or output and resolves to its exit code (see {@link openInBrowser}). */
export function openWith(opener: string, url: string): Promise<number> {
  const child = spawn(opener, {
    args: [url],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    tool: true,
  });
  return child.exited.then((e) => e.code);
}
