/** Chromium for the browser tests (through playwright-core): where it is and how it is started. */

/** The Chromium the browser tests drive. */
export const CHROMIUM = "/usr/bin/chromium";

/** Its command-line flags: no sandbox (root in a container), no GPU, QUIC or background traffic. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
