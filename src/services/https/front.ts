/**
 * The HTTPS front of one branch: TLS terminated on `<ip>:443` and the bytes passed to
 * `<ip>:<port>`, plus plain HTTP on `<ip>:80` (a 308 to https, or the same byte pipe when TLS is
 * off). A byte pipe, so keep-alive, streaming and WebSockets pass unchanged. It binds only the
 * branch IP. Until the server accepts, new connections are held (retrying the upstream) instead of
 * failed. Ports that are taken or not allowed fall through to the next candidate, with a note
 * naming the holder.
 */

/** Who holds a port, for the note (`pid 123 (nginx) on 0.0.0.0`); `undefined` when nobody says. */
export type DescribeHolder = (ip: string, port: number) => string | undefined;

/** What the front serves. */
export interface FrontOptions {
  readonly ip: string;
  /** The server's port on `ip`. */
  readonly upstreamPort: number;
  /** TLS: the leaf certificate and key (PEM). Without it only plain HTTP is served (forwarded). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Candidate ports in order, e.g. `[443, 10443, 10444]`; empty: that side is not served. */
  readonly httpsPorts: readonly number[];
  readonly httpPorts: readonly number[];
  /** How long a connection waits for the server to accept (the ready timeout), ms. */
  readonly holdMs: number;
  /** Names a port's holder in the notes (the Host's `portHolders`, adapters/net/listeners.ts); none: notes without holders. */
  readonly describeHolder?: DescribeHolder;
}

/** A running front. */
export interface FrontHandle {
  /** The bound https port, `undefined` when none could be bound (or TLS is off). */
  readonly httpsPort?: number;
  /** The bound http port, `undefined` when none could be bound. */
  readonly httpPort?: number;
  /** One line per port that could not be had: which, why, and who holds it. */
  readonly notes: readonly string[];
  /** Closes the listeners and every open connection. */
  stop(): Promise<void>;
}

/**
 * Pays the crypto library's one-time start-up on a worker thread, so that the front's first TLS
 * handshake does not pay it on the event loop. Measured here: the first handshake of a process blocks
 * the loop 70-250 ms (an RSA leaf too), the next ones 1-3 ms; the first WebCrypto key generation of a
 * process takes the same ~40-55 ms (even an AES key; not Ed25519, not getRandomValues), runs off the
 * loop, and leaves the first handshake at ~2-9 ms. Start it as early as possible (while the run
 * prepares and the server boots); nothing waits for it.
 */
export function warmUpTls(): Promise<void> {
  return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]).then(
    () => {},
    () => {},
  );
}

/**
 * How often a held connection tries the server again while it does not accept yet: often during the
 * first second (a refused connect costs microseconds, and each wait is added to the first answer),
 * then every 10 ms.
 */
const RETRY_QUICK_MS = 2;
const RETRY_QUICK_FOR_MS = 1000;
const RETRY_MS = 10;
const BUFFER = 64 * 1024;

/** Starts the front: its listeners are bound when it returns (port 0 binds any free port). */
export function startFront(options: FrontOptions): FrontHandle {
  const notes: string[] = [];
  const conns = new Set<Deno.Conn>();
  const listeners: Deno.Listener[] = [];
  const done: Promise<void>[] = [];
  let stopping = false;

  const bind = (ports: readonly number[], open: (port: number) => Deno.Listener, what: string) => {
    for (const port of ports) {
      try {
        const listener = open(port);
        return { listener, port: (listener.addr as Deno.NetAddr).port };
      } catch (error) {
        notes.push(bindNote(options, port, what, error));
      }
    }
    return undefined;
  };

  let httpsPort: number | undefined;
  if (options.tls && options.httpsPorts.length > 0) {
    const tls = options.tls;
    const bound = bind(
      options.httpsPorts,
      (port) =>
        Deno.listenTls({
          hostname: options.ip,
          port,
          cert: tls.cert,
          key: tls.key,
          alpnProtocols: ["http/1.1"],
        }),
      "https",
    );
    if (bound) {
      httpsPort = bound.port;
      listeners.push(bound.listener);
      done.push(acceptLoop(bound.listener, serveConn));
    }
  }

  let httpPort: number | undefined;
  if (options.httpPorts.length > 0) {
    const bound = bind(options.httpPorts, (port) => Deno.listen({ hostname: options.ip, port }), "http");
    if (bound) {
      httpPort = bound.port;
      listeners.push(bound.listener);
      const target = httpsPort;
      done.push(acceptLoop(bound.listener, target === undefined ? serveConn : (c) => redirect(c, target)));
    }
  }

  async function acceptLoop(
    listener: Deno.Listener,
    handle: (conn: Deno.Conn) => Promise<void>,
  ): Promise<void> {
    while (!stopping) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        if (stopping) return;
        continue; // a failed accept (a client that went away) is not the listener's end
      }
      conns.add(conn);
      handle(conn).catch(() => close(conn)).finally(() => conns.delete(conn));
    }
  }

  async function serveConn(client: Deno.Conn): Promise<void> {
    // The TLS handshake goes on while the connection is held: once the server accepts, only the
    // request is left to pass (a handshake left to the first read would start only then).
    const handshake = "handshake" in client
      ? (client as Deno.TlsConn).handshake().catch(() => {})
      : undefined;
    const upstream = await connectHeld(options.ip, options.upstreamPort, options.holdMs, () => stopping);
    await handshake;
    if (!upstream) {
      close(client);
      return;
    }
    conns.add(upstream);
    try {
      await Promise.all([pump(client, upstream), pump(upstream, client)]);
    } finally {
      conns.delete(upstream);
      close(upstream);
      close(client);
    }
  }

  return {
    httpsPort,
    httpPort,
    notes,
    async stop() {
      stopping = true;
      for (const l of listeners) {
        try {
          l.close();
        } catch { /* closed already */ }
      }
      for (const c of conns) close(c);
      await Promise.allSettled(done);
    },
  };
}

/** Connects to ip:port, retrying while the server does not accept yet, for up to `holdMs`. */
async function connectHeld(
  ip: string,
  port: number,
  holdMs: number,
  stopped: () => boolean,
): Promise<Deno.TcpConn | undefined> {
  const started = Date.now();
  const deadline = started + holdMs;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: ip, port });
      conn.setNoDelay(true);
      return conn;
    } catch {
      if (stopped() || Date.now() >= deadline) return undefined;
      const wait = Date.now() - started < RETRY_QUICK_FOR_MS ? RETRY_QUICK_MS : RETRY_MS;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Copies `from` to `to` until `from` ends, then half-closes `to` (the other direction goes on). */
async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(BUFFER);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) break;
      let offset = 0;
      while (offset < n) offset += await to.write(buffer.subarray(offset, n));
    }
    await to.closeWrite();
  } catch {
    // A reset on either side ends both directions.
    close(from);
    close(to);
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* closed already */ }
}

const HEAD_LIMIT = 16 * 1024;

/**
 * Answers one plain-HTTP request with a 308 to the https URL: the request's host (without its port)
 * and `httpsPort`, the same path. Reads only the request head; the connection is closed after.
 */
async function redirect(conn: Deno.Conn, httpsPort: number): Promise<void> {
  const buffer = new Uint8Array(HEAD_LIMIT);
  let length = 0;
  let head = "";
  while (length < HEAD_LIMIT) {
    const n = await conn.read(buffer.subarray(length));
    if (n === null) break;
    length += n;
    head = new TextDecoder().decode(buffer.subarray(0, length));
    if (head.includes("\r\n\r\n")) break;
  }
  const target = redirectTarget(head, httpsPort);
  const response = target
    ? `HTTP/1.1 308 Permanent Redirect\r\nLocation: ${target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`
    : "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  const bytes = new TextEncoder().encode(response);
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
  close(conn);
}

/** The https URL a request head redirects to, or `undefined` when the head is not a request. Pure. */
export function redirectTarget(head: string, httpsPort: number): string | undefined {
  const lines = head.split("\r\n");
  const target = /^[A-Z]+ (\/\S*) HTTP\/1\.[01]$/.exec(lines[0] ?? "")?.[1];
  const host = lines.find((l) => /^host:/i.test(l))?.slice(5).trim();
  if (target === undefined || !host || !/^[a-z0-9.-]+(:\d+)?$|^\[[0-9a-f:.]+\](:\d+)?$/i.test(host)) {
    return undefined;
  }
  const name = host.replace(/:\d+$/, "");
  return `https://${name}${httpsPort === 443 ? "" : `:${httpsPort}`}${target}`;
}

function bindNote(options: FrontOptions, port: number, what: string, error: unknown): string {
  const at = `${options.ip}:${port}`;
  if (error instanceof Deno.errors.AddrInUse) {
    const holder = options.describeHolder?.(options.ip, port);
    return `${what} on ${at} is taken${holder ? ` by ${holder}` : ""}`;
  }
  if (error instanceof Deno.errors.PermissionDenied) return `${what} on ${at} is not allowed for this user`;
  return `${what} on ${at}: ${(error as Error).message}`;
}
