/** A plain HTTP listener (Deno.serve) for local pages such as the dashboard. */

/** A listening server. */
export interface HttpListener {
  /** The port it listens on (the one chosen when 0 was asked for). */
  readonly port: number;
  /** Stops accepting and ends open connections; resolves when the listener is closed. */
  close(): Promise<void>;
}

/** Listens on `hostname:port` (port 0: a free one) and answers with `handler`. */
export function listenHttp(
  address: { hostname: string; port: number },
  handler: (request: Request) => Response | Promise<Response>,
): HttpListener {
  const abort = new AbortController();
  const server = Deno.serve({
    hostname: address.hostname,
    port: address.port,
    signal: abort.signal,
    onListen: () => {}, // the caller prints the URL
  }, handler);
  return {
    port: server.addr.port,
    async close() {
      abort.abort();
      await server.finished;
    },
  };
}
