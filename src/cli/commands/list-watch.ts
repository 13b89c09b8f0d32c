/** `treehouse list --watch`: the same live view as the dashboard, redrawn in the terminal until Ctrl-C. */
import { loadSettings } from "../../services/settings.ts";
import type { Snapshot } from "../../core/dashboard.ts";
import { formatUptime } from "../../core/dashboard.ts";
import { ENTER_SCREEN, frame, LEAVE_SCREEN } from "../../core/terminal-frame.ts";
import { registryPath } from "../../registry/path.ts";
import { registrySource } from "../../services/dashboard/source.ts";
import { Watcher } from "../../services/dashboard/watch.ts";
import type { AppContext } from "../context.ts";
import { out, paint, table } from "../output.ts";

const COLOURS: Record<string, string> = {
  ready: "32",
  running: "32",
  starting: "33",
  restarting: "33",
  crashed: "31",
};

/**
 * Draws every change of `project`'s branches (all projects when undefined) until SIGINT/SIGTERM; with
 * `json`, prints each changed view as one JSON line instead (for scripts).
 */
export async function watchList(ctx: AppContext, project: string | undefined, json: boolean): Promise<void> {
  const settings = loadSettings(ctx.config, ctx.cwd);
  const source = registrySource({
    path: registryPath(ctx.dbFlag, ctx.env),
    hostnameTemplate: settings.hostnameTemplate,
    defaultPort: settings.defaultPort,
    isAlive: ctx.host.isAlive,
  });
  const watcher = new Watcher(source);
  const tty = !json && (ctx.colorStdout || isTerminal());
  let latest = await watcher.current();
  const draw = () => {
    if (json) {
      const projects = latest.projects.filter((p) => project === undefined || p.project === project);
      return out(ctx, `${JSON.stringify({ ...latest, projects })}\n`);
    }
    const lines = render(ctx, latest, project, Date.now()).split("\n");
    out(ctx, tty ? frame(lines, columns()) : `${lines.join("\n")}\n`);
  };
  if (tty) out(ctx, ENTER_SCREEN);
  draw();
  let shown = JSON.stringify(latest.projects);
  const unsubscribe = watcher.subscribe((snapshot) => {
    latest = snapshot;
    const key = JSON.stringify(
      snapshot.projects.filter((p) => project === undefined || p.project === project),
    );
    if (json && key === shown) return; // another project changed
    shown = key;
    draw();
  });
  const ages = tty ? setInterval(draw, 1000) : undefined; // uptimes and "last seen" move on
  await new Promise<void>((resolve) => {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const stop = () => {
      for (const s of signals) Deno.removeSignalListener(s, stop);
      resolve();
    };
    for (const s of signals) Deno.addSignalListener(s, stop);
  });
  clearInterval(ages);
  unsubscribe();
  source.close();
  if (tty) out(ctx, LEAVE_SCREEN);
}

function render(ctx: AppContext, snapshot: Snapshot, project: string | undefined, now: number): string {
  const branches = snapshot.projects.filter((p) => project === undefined || p.project === project)
    .flatMap((p) => p.branches);
  const when = new Date(now).toTimeString().slice(0, 8);
  const head = `treehouse list --watch  ${when}  (Ctrl-C to quit)\n`;
  if (branches.length === 0) {
    return `${head}\nNo branches yet: start one with \`treehouse run -- CMD\` in a checkout`;
  }
  const rows = branches.map((b) => [
    b.branch,
    b.ip,
    b.host,
    b.ports.join(","),
    // The first link: a running front's https / port-less URL, else http://<host>:<port>.
    b.links[0]?.href.replace(/\/$/, "") ?? "-",
    paint(ctx.colorStdout, COLOURS[b.state] ?? "2", b.state.toUpperCase()),
    b.startedAt === null ? "-" : formatUptime(now - b.startedAt),
    String(b.restarts),
    `${formatUptime(now - b.lastSeenAt)} ago`,
    b.project,
  ]);
  return head + "\n" +
    table(
      ["BRANCH", "IP", "HOSTNAME", "PORT", "URL", "STATUS", "UPTIME", "RESTARTS", "LAST SEEN", "PROJECT"],
      rows,
    )
      .trimEnd();
}

function isTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

function columns(): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined;
  }
}
