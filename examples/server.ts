/**
 * The demo app: a plain Deno HTTP server that reads its address and names from the variables
 * `treehouse run` sets, exactly as a Phoenix, Rails or Vite server would.
 *
 *   treehouse run -- deno run -A examples/server.ts
 */
const env = (name: string, fallback = "") => Deno.env.get(name) ?? fallback;
const hostname = env("HOST", "127.0.0.1");
const port = Number(env("PORT", "4000"));

const info = {
  branch: env("TREEHOUSE_BRANCH", "(not under treehouse)"),
  ip: env("TREEHOUSE_IP", hostname),
  host: env("TREEHOUSE_HOST", hostname),
  url: env("TREEHOUSE_URL", `http://${hostname}:${port}`),
  database: env("TREEHOUSE_DB_NAME", "-"),
  pid: Deno.pid,
};

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const page = `<!doctype html><meta charset="utf-8"><title>${escape(info.branch)}</title>
<body style="font: 16px system-ui; margin: 3em">
<h1>🌳 ${escape(info.branch)}</h1>
<table>${
  Object.entries(info).map(([k, v]) =>
    `<tr><th align=left>${k}</th><td><code>${escape(String(v))}</code></td></tr>`
  )
    .join("")
}</table>
<p>Same port, another branch, another IP: see <code>treehouse list</code>.</p>`;

Deno.serve(
  { hostname, port, onListen: () => {} },
  (request) =>
    new URL(request.url).pathname === "/json"
      ? Response.json(info)
      : new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }),
);
