/** The live dashboard (issue 17): `treehouse dashboard`, registered in `src/cli/app.ts`. */
import { buildCommand } from "@stricli/core";
import { docs, stringFlag, switchFlag } from "../flags.ts";
import { guard } from "../guard.ts";

const dashboard = buildCommand({
  loader: async () => guard((await import("../commands/dashboard.ts")).default),
  parameters: {
    flags: {
      listen: stringFlag(
        "Loopback ADDR:PORT to serve on (default dashboard.listen, 127.0.0.1:4900; port 0: a free one)",
        "ADDR:PORT",
      ),
      open: switchFlag("Open the page in the default browser (open on macOS, xdg-open on Linux)"),
      jsonUrl: switchFlag('Print the first line as JSON: {"url": …, "pid": …}'),
    },
  },
  docs: docs(
    "Serve a live page of every project's branches: URLs, state, uptime; restart, stop, logs, release",
    [
      "treehouse dashboard",
      "treehouse dashboard --open",
      "treehouse dashboard --listen 127.0.0.1:0 --json-url",
    ],
    "The page's URL is the first line on stdout. Changes show within 2 s. It binds loopback only, answers " +
      "only to its own address (and localhost, treehouse.local) as Host, and every action needs the page's " +
      "per-process token. Ctrl-C stops it.",
  ),
});

/** The commands of this feature. */
export const dashboardRoutes = { dashboard };
