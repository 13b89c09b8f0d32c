/** `treehouse dashboard`: serve the live page until Ctrl-C; its URL is the first line on stdout. */
import { openInBrowser } from "../../adapters/browser-open.ts";
import { loadSettings } from "../../services/settings.ts";
import { parseListen } from "../../core/web-guard.ts";
import { currentPlatform } from "../../adapters/platform/platform.ts";
import { registryPath } from "../../registry/path.ts";
import { controlActions } from "../../services/dashboard/actions.ts";
import { sendSignal } from "../../adapters/process/spawn.ts";
import { startDashboard } from "../../services/dashboard/server.ts";
import { registrySource } from "../../services/dashboard/source.ts";
import { Watcher } from "../../services/dashboard/watch.ts";
import { ConflictError } from "../../errors.ts";
import type { AppContext } from "../context.ts";
import { out, say, warn } from "../output.ts";

/** Flags of `dashboard`. */
export interface DashboardFlags {
  readonly listen?: string;
  readonly open?: boolean;
  readonly jsonUrl?: boolean;
}

/** Host names the page answers to besides its address. */
const NAMES = ["localhost", "treehouse.local"];

export default async function dashboard(this: AppContext, flags: DashboardFlags): Promise<void> {
  const settings = loadSettings(this.config, this.cwd);
  const address = parseListen(
    flags.listen ?? settings.dashboardListen,
    flags.listen ? "--listen" : "dashboard.listen",
  );
  const platform = currentPlatform(this.env, this.host.os).name;
  const path = registryPath(this.dbFlag, this.env);
  const signal = (pid: number, sig: Deno.Signal) => sendSignal(pid, sig, false);
  const common = { path, hostnameTemplate: settings.hostnameTemplate, isAlive: this.host.isAlive, signal };
  const source = registrySource({ ...common, defaultPort: settings.defaultPort });
  const reason = (e: unknown) => e instanceof Error ? e.message : String(e);
  try {
    // An unusable registry (corrupt, foreign, newer) is the command's error (exit 6), not a page of 500s.
    source.changeMark();
  } catch (error) {
    source.close();
    throw error;
  }
  const watcher = new Watcher(source, {
    onError: (e) => warn(this, `reading the registry failed: ${reason(e)}`),
  });
  const actions = controlActions(common);
  let server;
  try {
    server = startDashboard({
      address,
      names: NAMES,
      watcher,
      actions,
      onError: (e) => warn(this, reason(e)),
    });
  } catch (error) {
    source.close();
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ConflictError(`${address.hostname}:${address.port} is in use (another dashboard?)`, {
        hint: "Open the running one, or pick another address: treehouse dashboard --listen 127.0.0.1:0",
        cause: error,
      });
    }
    throw error;
  }
  out(this, flags.jsonUrl ? `${JSON.stringify({ url: server.url, pid: Deno.pid })}\n` : `${server.url}\n`);
  say(this, `treehouse: dashboard at ${server.url} (Ctrl-C stops it)`);
  const stopped = new Promise<void>((resolve) => {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const stop = () => {
      for (const s of signals) Deno.removeSignalListener(s, stop);
      resolve();
    };
    for (const s of signals) Deno.addSignalListener(s, stop);
  });
  if (flags.open) {
    openInBrowser(server.url, platform).then(
      (code) => {
        if (code !== 0) warn(this, `the browser opener exited with ${code}: open ${server.url} yourself`);
      },
      (error) => warn(this, `${error instanceof Error ? error.message : error}: open ${server.url} yourself`),
    );
  }
  await stopped;
  await server.close();
  source.close();
}
