/**
 * `treehouse run --https` (and `--port80`) as a run collaborator: before the server starts, issue (or
 * reuse) the branch's leaf certificate and start the front on the branch IP, so connections made while
 * the server boots are held; tell the child its https URL, certificate and key, and the CA for Node;
 * stop the front with the run. Loaded only when the flag or `https = true` asks for it.
 */
import { anchorCovers, PF_ANCHOR_FILE, PF_HTTP_PORT, PF_HTTPS_PORT } from "../../core/macos-plan.ts";
import { ipv6NameAddress } from "../../core/name-address.ts";
import { leafNames } from "../../core/tls.ts";
import { clearFront, recordFront } from "../../registry/fronts.ts";
import type { RunCollaborator, RunSession } from "../run/types.ts";
import { tlsPaths } from "../tls/files.ts";
import { leafFor } from "../tls/leaf.ts";
import { type FrontHandle, startFront, warmUpTls } from "./front.ts";

/** How many fallback ports after the fixed one are tried. */
const FALLBACKS = 10;

/** What the collaborator needs besides the session. */
export interface HttpsRunOptions {
  /** Terminate TLS (`--https`); without it only plain HTTP on :80 is forwarded (`--port80`). */
  readonly https: boolean;
  /** The data directory (the registry's), whose `tls/` holds the CA and the leaves. */
  readonly dataDir: string;
  /** Prefix of system files (tests); "" on a real machine. */
  readonly root: string;
}

/** The ports the front tries, in order, for one side: the standard one (or pf's), then fallbacks. */
export function frontCandidates(
  standard: 80 | 443,
  pf: boolean,
  serverPort: number,
): { ports: number[]; portless: ReadonlySet<number> } {
  const fixed = standard === 443 ? PF_HTTPS_PORT : PF_HTTP_PORT;
  const fallbacks = Array.from({ length: FALLBACKS }, (_, i) => fixed + i);
  // With pf, <ip>:443 arrives at <ip>:10443: binding that one is what makes the URL port-less.
  const ports = (pf ? fallbacks : [standard, ...fallbacks]).filter((p) => p !== serverPort);
  return { ports, portless: new Set(pf ? [standard, fixed] : [standard]) };
}

/** The URL of `host` on `scheme` at `port`, without the port when it is the scheme's own. */
export function frontUrl(scheme: "https" | "http", host: string, port: number, portless: boolean): string {
  return portless ? `${scheme}://${host}/` : `${scheme}://${host}:${port}/`;
}

function readAnchor(root: string): string | undefined {
  try {
    return Deno.readTextFileSync(root + PF_ANCHOR_FILE);
  } catch {
    return undefined;
  }
}

/** The collaborator. */
export function httpsCollaborator(options: HttpsRunOptions): RunCollaborator {
  // Off the event loop, from now on: the first TLS handshake then costs ms instead of ~100 ms of the loop
  // (a cold handshake held the server's first answer back by ~60 ms here: `warmUpTls`).
  if (options.https) void warmUpTls();
  let front: FrontHandle | undefined;
  let recorded = false;
  let toRecord: { url: string; httpsUrl?: string } | undefined;
  return {
    name: options.https ? "https" : "port80",
    async prepare(session: RunSession) {
      const { deps, values, allocation, request } = session;
      const { ip, host } = values;
      const pf = deps.platform.name === "macos" && anchorCovers(readAnchor(options.root), ip);
      let tls: { cert: string; key: string } | undefined;
      if (options.https) {
        const names = leafNames(host, allocation.hostname, ip, ipv6NameAddress(ip));
        const leaf = await leafFor(tlsPaths(options.dataDir), host, names, deps.now());
        tls = { cert: leaf.certPem, key: leaf.keyPem };
        session.setEnv("TREEHOUSE_TLS_CERT", leaf.certFile);
        session.setEnv("TREEHOUSE_TLS_KEY", leaf.keyFile);
        // Additive: Node clients in the child trust sibling branches too. A value of the user's stays.
        if (!deps.env("NODE_EXTRA_CA_CERTS")) session.setEnv("NODE_EXTRA_CA_CERTS", leaf.caFile);
        session.setValues({ cert: leaf.certFile, key: leaf.keyFile });
      }
      const https = frontCandidates(443, pf, values.port);
      const http = frontCandidates(80, pf, values.port);
      front = startFront({
        ip,
        upstreamPort: values.port,
        tls,
        httpsPorts: tls ? https.ports : [],
        httpPorts: http.ports,
        holdMs: request.readyTimeoutMs,
        describeHolder: (at, port) => {
          const holders = deps.net.findPortHolders(at, port);
          return holders.length
            ? holders.map((h) => `pid ${h.pid} (${h.command}) on ${h.address}:${port}`).join(", ")
            : undefined;
        },
      });
      const denied = front.notes.some((n) => n.endsWith("is not allowed for this user"));
      for (const note of front.notes) deps.output.warn(`${note}: using the next port`);
      if (denied) {
        deps.output.warn(
          "Ports below 1024 need root here; for URLs without a port run once: treehouse setup --ports",
        );
      }
      const httpsUrl = front.httpsPort === undefined
        ? undefined
        : frontUrl("https", host, front.httpsPort, https.portless.has(front.httpsPort));
      const httpUrl = front.httpPort === undefined
        ? undefined
        : frontUrl("http", host, front.httpPort, http.portless.has(front.httpPort));
      if (options.https && httpsUrl === undefined) {
        deps.output.warn("No port could be had for https: the server is reachable over http only");
      }
      const best = httpsUrl ?? httpUrl ?? values.url;
      session.setValues({ url: best });
      session.setEnv("TREEHOUSE_URL", best);
      if (httpsUrl) {
        session.setEnv("TREEHOUSE_HTTPS_URL", httpsUrl);
        session.addBannerRow("HTTPS", httpsUrl);
      }
      if (httpUrl) session.addBannerRow("HTTP", httpsUrl ? `${httpUrl} (redirects to https)` : httpUrl);
      session.addBannerRow("Server", `http://${ip}:${values.port}`);
      // Recorded right after the spawn: a registry write less before the server can start.
      if (best !== values.url || httpsUrl) toRecord = { url: best, httpsUrl };
    },
    spawned(session: RunSession) {
      const row = toRecord;
      if (!row) return;
      toRecord = undefined;
      const { deps, allocation } = session;
      recordFront(deps.registry, {
        allocation_id: allocation.id,
        wrapper_pid: Deno.pid,
        wrapper_started_at: deps.process.startTime(Deno.pid) ?? null,
        url: row.url,
        https_url: row.httpsUrl ?? null,
        updated_at: deps.now(),
      });
      recorded = true;
    },
    async stopping(session: RunSession) {
      const running = front;
      front = undefined;
      toRecord = undefined;
      await running?.stop();
      if (recorded) {
        recorded = false;
        clearFront(session.deps.registry, session.allocation.id, Deno.pid);
      }
    },
  };
}
