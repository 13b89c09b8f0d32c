/**
 * The dashboard's HTTP server: the page, one server-sent event stream per page, log streams and
 * the actions. Every request passes the guard of `core/web-guard.ts` first: its `Host` must be the
 * dashboard's own (DNS rebinding), and streams and actions need the per-process token and no
 * foreign `Origin` (cross-site requests). Binds loopback only.
 */
import { listenHttp } from "../../adapters/http-server.ts";
import { allowedHosts, type ListenAddress, refusal } from "../../core/web-guard.ts";
import { TreehouseError } from "../../errors.ts";
import type { DashboardActions, RunTarget } from "./actions.ts";
import { renderPage } from "./page.ts";
import type { Watcher } from "./watch.ts";

/** What {@link startDashboard} needs. */
export interface DashboardOptions {
  address: ListenAddress;
  /** Names besides the address that the `Host` header may carry (`localhost`, `treehouse.local`). */
  names: readonly string[];
  watcher: Watcher;
  actions: DashboardActions;
  /** Called with unexpected failures (a bug in an action); the server keeps serving. */
  onError?: (error: unknown) => void;
}

/** A running dashboard. */
export interface DashboardServer {
  /** `http://ADDR:PORT/`. */
  readonly url: string;
  readonly address: ListenAddress;
  /** Closes every stream and the listener; resolves when nothing is left. */
  close(): Promise<void>;
}

/** Keep-alive comment on idle event streams, so proxies and browsers keep them open. */
const KEEPALIVE_MS = 15_000;
const ACTIONS = ["stop", "restart", "release"] as const;
const encoder = new TextEncoder();

/** Starts the dashboard on `options.address` (port 0: a free port). */
export function startDashboard(options: DashboardOptions): DashboardServer {
  const token = randomHex(32);
  const streams = new Set<() => void>();
  let hosts = new Set<string>();
  const server = listenHttp(options.address, async (request) => {
    try {
      return await handle(request);
    } catch (error) {
      options.onError?.(error);
      return text(500, "Internal error (see the dashboard's terminal)\n");
    }
  });
  const address = { hostname: options.address.hostname, port: server.port };
  hosts = allowedHosts(address, options.names);
  const bare = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    const needsToken = route !== "GET /";
    const why = refusal(
      {
        method: request.method,
        host: request.headers.get("host"),
        origin: request.headers.get("origin"),
        fetchSite: request.headers.get("sec-fetch-site"),
        token: request.headers.get("x-treehouse-token") ?? url.searchParams.get("token"),
        needsToken,
      },
      hosts,
      token,
    );
    if (why) return text(403, `Forbidden: ${why}\n`);
    if (route === "GET /") return await page();
    if (route === "GET /events") return events();
    if (route === "GET /api/snapshot") return json(200, await options.watcher.current());
    if (route === "GET /logs") return logStream(targetOf(url.searchParams));
    const action = ACTIONS.find((a) => route === `POST /api/${a}`);
    if (action) return await act(action, request);
    return text(404, "Not found\n");
  }

  async function page(): Promise<Response> {
    const nonce = randomHex(16);
    const body = renderPage({ token, nonce, snapshot: await options.watcher.current() });
    return new Response(body, {
      headers: {
        ...SECURITY_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "content-security-policy":
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
          "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      },
    });
  }

  function events(): Response {
    return sse((send) => {
      const unsubscribe = options.watcher.subscribe((snapshot) => send("snapshot", snapshot));
      options.watcher.current().then((snapshot) => send("snapshot", snapshot)).catch((e) =>
        options.onError?.(e)
      );
      return unsubscribe;
    });
  }

  function logStream(target: RunTarget | undefined): Response {
    if (!target) return text(400, "Bad request: project and branch are needed\n");
    return sse((send, end) => {
      const stop = new AbortController();
      (async () => {
        try {
          for await (const line of options.actions.logs(target, stop.signal)) send("line", line);
          send("problem", "the run ended");
        } catch (error) {
          if (!stop.signal.aborted) send("problem", messageOf(error, options.onError));
        }
        end();
      })();
      return () => stop.abort();
    });
  }

  async function act(action: (typeof ACTIONS)[number], request: Request): Promise<Response> {
    if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
      return json(415, { error: "Send a JSON body (content-type: application/json)" });
    }
    let target: RunTarget | undefined;
    try {
      const body = await request.json() as Record<string, unknown>;
      target = targetOf(new Map(Object.entries(body).map(([k, v]) => [k, typeof v === "string" ? v : ""])));
    } catch { /* below */ }
    if (!target) return json(400, { error: "The body needs project and branch" });
    try {
      await options.actions[action](target);
      options.watcher.poke();
      return json(200, { ok: true });
    } catch (error) {
      if (error instanceof TreehouseError) {
        return json(409, { error: error.message, hint: error.hint });
      }
      options.onError?.(error);
      return json(500, { error: "Internal error (see the dashboard's terminal)" });
    }
  }

  /** An event stream; `open` starts it and returns its clean-up. */
  function sse(
    open: (send: (event: string, data: unknown) => void, end: () => void) => () => void,
  ): Response {
    let cleanup = () => {};
    let keepalive: ReturnType<typeof setInterval> | undefined;
    let closed = false;
    let finish = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const write = (chunk: string) => {
          if (closed) return;
          try {
            controller.enqueue(encoder.encode(chunk));
          } catch {
            finish();
          }
        };
        finish = () => {
          if (closed) return;
          closed = true;
          clearInterval(keepalive);
          streams.delete(finish);
          cleanup();
          try {
            controller.close();
          } catch { /* cancelled already */ }
        };
        streams.add(finish);
        write("retry: 1000\n\n");
        keepalive = setInterval(() => write(": keep-alive\n\n"), KEEPALIVE_MS);
        cleanup = open(
          (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
          () => finish(),
        );
      },
      cancel() {
        finish();
      },
    });
    return new Response(body, {
      headers: { ...SECURITY_HEADERS, "content-type": "text/event-stream; charset=utf-8" },
    });
  }

  return {
    url: `http://${bare}:${address.port}/`,
    address,
    async close() {
      for (const finish of [...streams]) finish();
      options.watcher.stop();
      await server.close();
    },
  };
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
};

function targetOf(params: { get(key: string): string | null | undefined }): RunTarget | undefined {
  const project = params.get("project") ?? "";
  const branch = params.get("branch") ?? "";
  const service = params.get("service") || undefined;
  return project && branch ? { project, branch, service } : undefined;
}

function messageOf(error: unknown, onError?: (error: unknown) => void): string {
  if (error instanceof TreehouseError) return error.message;
  onError?.(error);
  return "Internal error (see the dashboard's terminal)";
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, "content-type": "text/plain" } });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "application/json" },
  });
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}
