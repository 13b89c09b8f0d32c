/**
 * The dashboard page: plain HTML, CSS and a little JavaScript, embedded in the program (nothing is
 * fetched from the internet, nothing is built). The first snapshot rides in the page as JSON, so the
 * rows paint with the first frame; server-sent events bring every change after that.
 */
import type { Snapshot } from "../../core/dashboard.ts";

/** What the page is made from. */
export interface PageInput {
  /** The per-process token every action, event stream and log stream must carry. */
  token: string;
  /** The Content-Security-Policy nonce of the inline style and script. */
  nonce: string;
  snapshot: Snapshot;
}

/** JSON that is safe inside a `<script>` element (no `</script>`, no `<!--`). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** The whole page. */
export function renderPage(input: PageInput): string {
  const boot = scriptJson({ token: input.token, snapshot: input.snapshot });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>treehouse</title>
<link rel="icon" href="data:,">
<style nonce="${input.nonce}">${CSS}</style>
</head>
<body>
<header>
  <h1>treehouse</h1>
  <p id="live" class="live" role="status" aria-live="polite">connecting…</p>
</header>
<main id="projects" aria-label="Branches by project"></main>
<section id="logs" class="logs" hidden aria-labelledby="logs-title">
  <div class="logs-head">
    <h2 id="logs-title">Logs</h2>
    <button type="button" id="logs-close" aria-label="Close the logs panel">Close</button>
  </div>
  <pre id="log-lines" tabindex="0" aria-live="off"></pre>
</section>
<p id="toast" class="toast" role="alert" hidden></p>
<script id="boot" type="application/json">${boot}</script>
<script nonce="${input.nonce}">${JS}</script>
</body>
</html>
`;
}

const CSS = `
:root { color-scheme: light dark; --bg: #fbfbf8; --fg: #1d2321; --muted: #5d6763; --line: #d9ddd8;
  --card: #ffffff; --ok: #1b7f3b; --run: #2f6fb0; --warn: #a35f00; --bad: #b3261e; --off: #6b7280;
  --link: #1f5fa8; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #141816; --fg: #e6ebe8; --muted: #9aa5a0; --line: #2c3430; --card: #1b201e;
    --ok: #4cc476; --run: #6aa8e8; --warn: #e7a640; --bad: #f2766d; --off: #8b939c; --link: #7fb6f0; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem clamp(0.75rem, 3vw, 2rem) 4rem; background: var(--bg); color: var(--fg); }
header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; overflow-wrap: anywhere; }
h2 small { color: var(--muted); font-weight: normal; font-size: 0.8rem; margin-left: 0.5rem; }
a { color: var(--link); }
.live { color: var(--muted); margin: 0; font-size: 0.85rem; }
.live.on::before { content: "● "; color: var(--ok); }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line);
  table-layout: fixed; }
thead th:nth-child(1) { width: 13%; } thead th:nth-child(2) { width: 10%; } thead th:nth-child(3) { width: 19%; }
thead th:nth-child(4) { width: 9%; } thead th:nth-child(5) { width: 6%; } thead th:nth-child(6) { width: 8%; }
thead th:nth-child(7) { width: 14%; } thead th:nth-child(8) { width: 9%; } thead th:nth-child(9) { width: 12%; }
th, td { text-align: left; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
tbody th { font-weight: 600; overflow-wrap: break-word; }
td.links > * { display: block; overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.state { font-weight: 600; white-space: nowrap; }
.state::before { content: "● "; }
.s-ready, .s-running { color: var(--ok); }
.s-running { color: var(--run); }
.s-starting, .s-restarting { color: var(--warn); }
.s-crashed { color: var(--bad); }
.s-stopped { color: var(--off); }
.actions { white-space: normal; }
button { font: inherit; font-size: 0.85rem; padding: 0.2rem 0.6rem; margin: 0 0.25rem 0.25rem 0;
  border: 1px solid var(--line); border-radius: 0.3rem; background: var(--bg); color: var(--fg); cursor: pointer; }
button:hover { border-color: var(--muted); }
button:focus-visible, a:focus-visible { outline: 2px solid var(--link); outline-offset: 2px; }
button.danger { color: var(--bad); }
button[aria-busy="true"] { opacity: 0.6; cursor: progress; }
.empty { background: var(--card); border: 1px dashed var(--line); padding: 1.25rem; max-width: 44rem; }
.empty code, .empty pre { background: var(--bg); padding: 0.1rem 0.3rem; border-radius: 0.2rem; }
.empty pre { padding: 0.6rem; overflow-x: auto; }
.logs { position: fixed; left: 0; right: 0; bottom: 0; max-height: 45vh; display: flex; flex-direction: column;
  background: var(--card); border-top: 2px solid var(--line); box-shadow: 0 -4px 16px rgb(0 0 0 / 0.15); }
.logs[hidden] { display: none; }
.logs-head { display: flex; align-items: center; justify-content: space-between; padding: 0 1rem; }
.logs h2 { margin: 0.5rem 0; }
.logs pre { margin: 0; padding: 0.5rem 1rem 1rem; overflow: auto; flex: 1; font-size: 0.8rem;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.toast { position: fixed; right: 1rem; top: 1rem; max-width: 26rem; margin: 0; padding: 0.6rem 0.9rem;
  background: var(--card); border: 1px solid var(--bad); color: var(--fg); border-radius: 0.3rem; }
@media (max-width: 760px) {
  table, thead, tbody, tr, th, td { display: block; }
  thead { display: none; }
  table { border: 0; background: none; }
  tr { background: var(--card); border: 1px solid var(--line); border-radius: 0.4rem; margin-bottom: 0.75rem; padding: 0.4rem 0; }
  th, td { border: 0; padding: 0.2rem 0.8rem; }
  td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 0.8rem; }
  td.links > * { display: inline; margin-right: 0.6rem; }
  thead th { width: auto !important; }
}
`;

// The page's script. formatUptime and formatAge repeat src/core (this runs in the browser).
const JS = `
"use strict";
const boot = JSON.parse(document.getElementById("boot").textContent);
const token = boot.token;
const main = document.getElementById("projects");
const live = document.getElementById("live");
const toast = document.getElementById("toast");
const logs = document.getElementById("logs");
const logLines = document.getElementById("log-lines");
const logsTitle = document.getElementById("logs-title");
let skew = 0;
let logStream = null;
const sections = new Map();
const ENT = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ENT[c]);
const now = () => Date.now() + skew;

function formatUptime(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + "s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + "m";
  const h = Math.floor(m / 60);
  if (h < 24) return h + "h " + (m % 60) + "m";
  return Math.floor(h / 24) + "d " + (h % 24) + "h";
}
const formatAge = (ms) => (ms < 5000 ? "just now" : formatUptime(ms) + " ago");

function target(b, service) {
  return ' data-project="' + esc(b.project) + '" data-branch="' + esc(b.branch) + '"' +
    (service ? ' data-service="' + esc(service) + '"' : "");
}

function button(act, label, b, extra, service) {
  const name = label + " " + b.branch + (service ? " " + service : "");
  return '<button type="button" data-act="' + act + '"' + target(b, service) + (extra || "") +
    ' aria-label="' + esc(name) + '">' + esc(service ? label + " " + service : label) + "</button>";
}

// A branch with several live runs (web, api…) gets each action per service.
function runActions(b) {
  const live = b.services.filter((s) => s.live);
  const services = live.length > 1 ? live.map((s) => s.service) : [undefined];
  return services.map((s) =>
    button("restart", "Restart", b, "", s) + button("stop", "Stop", b, "", s) + button("logs", "Logs", b, "", s)
  ).join("");
}

function row(b) {
  const active = b.live;
  const links = b.links.map((l) =>
    active ? '<a href="' + esc(l.href) + '" target="_blank" rel="noopener noreferrer">' + esc(l.label) + "</a>"
      : '<span class="muted">' + esc(l.label) + "</span>"
  ).join("");
  const services = b.services.length > 1
    ? ' <span class="muted">(' + b.services.map((s) => esc(s.service + " " + s.state)).join(", ") + ")</span>" : "";
  const uptime = active && b.startedAt !== null
    ? ' <span class="muted" data-since="' + b.startedAt + '">' + formatUptime(now() - b.startedAt) + "</span>" : "";
  const actions = active
    ? runActions(b)
    : button("logs", "Logs", b) + button("release", "Release", b, ' class="danger"');
  return '<tr data-id="' + esc(b.id) + '" data-state="' + b.state + '">' +
    '<th scope="row" data-label="Branch">' + esc(b.branch) + "</th>" +
    '<td data-label="Status"><span class="state s-' + b.state + '">' + b.state + "</span>" + uptime + services + "</td>" +
    '<td class="links" data-label="URLs">' + links + "</td>" +
    '<td data-label="IP">' + esc(b.ip) + "</td>" +
    '<td data-label="Ports">' + esc(b.ports.join(", ")) + "</td>" +
    '<td data-label="Restarts">' + b.restarts + "</td>" +
    '<td data-label="Database">' + esc(b.db) + "</td>" +
    '<td data-label="Last seen"><span data-ago="' + b.lastSeenAt + '">' + formatAge(now() - b.lastSeenAt) + "</span></td>" +
    '<td class="actions">' + actions + "</td></tr>";
}

function sectionHead(p) {
  return '<h2>' + esc(p.name) + '<small>' + esc(p.project) + "</small></h2>" +
    '<table><thead><tr><th scope="col">Branch</th><th scope="col">Status</th><th scope="col">URLs</th>' +
    '<th scope="col">IP</th><th scope="col">Ports</th><th scope="col">Restarts</th><th scope="col">Database</th>' +
    '<th scope="col">Last seen</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>' +
    "<tbody></tbody></table>";
}

const template = document.createElement("template");

// Only rows that changed are replaced, so a focused button elsewhere keeps its focus; a replaced row
// gives the focus to its new button of the same action.
function renderRows(s, branches) {
  const seen = new Set();
  for (const b of branches) {
    seen.add(b.id);
    const html = row(b);
    let r = s.rows.get(b.id);
    if (!r || r.html !== html) {
      template.innerHTML = html;
      const el = template.content.firstElementChild;
      const focused = r && r.el.contains(document.activeElement) ? document.activeElement.dataset.act : null;
      if (r) r.el.replaceWith(el);
      r = { el, html };
      s.rows.set(b.id, r);
      if (focused) el.querySelector('button[data-act="' + focused + '"]')?.focus();
    }
    s.tbody.appendChild(r.el);
  }
  for (const [id, r] of s.rows) {
    if (!seen.has(id)) {
      r.el.remove();
      s.rows.delete(id);
    }
  }
}

const EMPTY = '<div class="empty"><h2>No branches yet</h2><p>Start a dev server on its own IP and name from any ' +
  "git checkout, and it shows up here within a couple of seconds:</p>" +
  "<pre>cd ~/src/myapp\\ntreehouse run -- npm run dev</pre><p>Or only allocate the branch: <code>treehouse allocate</code>.</p></div>";

// The first frame shows a screenful of rows; the rest follow right after it (first paint stays quick
// with hundreds of branches).
const FIRST_ROWS = 12;
let latest = boot.snapshot;

function render(snapshot, budget) {
  latest = snapshot;
  skew = snapshot.now - Date.now();
  if (snapshot.projects.length === 0) {
    sections.clear();
    main.innerHTML = EMPTY;
    return false;
  }
  if (main.querySelector(".empty")) main.textContent = "";
  const seen = new Set();
  let cut = false;
  for (let p of snapshot.projects) {
    if (budget !== undefined) {
      if (budget <= 0) { cut = true; break; }
      if (p.branches.length > budget) { p = { ...p, branches: p.branches.slice(0, budget) }; cut = true; }
      budget -= p.branches.length;
    }
    seen.add(p.project);
    let s = sections.get(p.project);
    if (!s) {
      s = { el: document.createElement("section"), rows: new Map() };
      s.el.setAttribute("aria-label", p.name);
      s.el.innerHTML = sectionHead(p);
      s.tbody = s.el.querySelector("tbody");
      sections.set(p.project, s);
    }
    renderRows(s, p.branches);
    main.appendChild(s.el);
  }
  for (const [key, s] of sections) {
    if (!seen.has(key)) {
      s.el.remove();
      sections.delete(key);
    }
  }
  return cut;
}

function tick() {
  for (const el of document.querySelectorAll("[data-since]")) el.textContent = formatUptime(now() - Number(el.dataset.since));
  for (const el of document.querySelectorAll("[data-ago]")) el.textContent = formatAge(now() - Number(el.dataset.ago));
}

function say(text) {
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => (toast.hidden = true), 6000);
}

function query(t) {
  return "project=" + encodeURIComponent(t.project) + "&branch=" + encodeURIComponent(t.branch) +
    (t.service ? "&service=" + encodeURIComponent(t.service) : "") + "&token=" + encodeURIComponent(token);
}

function openLogs(t) {
  if (logStream) logStream.close();
  logLines.textContent = "";
  logsTitle.textContent = "Logs: " + t.branch + (t.service ? " (" + t.service + ")" : "");
  logs.hidden = false;
  logStream = new EventSource("/logs?" + query(t));
  logStream.addEventListener("line", (e) => {
    const atBottom = logLines.scrollTop + logLines.clientHeight >= logLines.scrollHeight - 4;
    logLines.appendChild(document.createTextNode(JSON.parse(e.data) + "\\n"));
    while (logLines.childNodes.length > 2000) logLines.firstChild.remove();
    if (atBottom) logLines.scrollTop = logLines.scrollHeight;
  });
  logStream.addEventListener("problem", (e) => {
    logLines.appendChild(document.createTextNode("[" + JSON.parse(e.data) + "]\\n"));
    logStream.close();
  });
}

document.getElementById("logs-close").addEventListener("click", () => {
  if (logStream) logStream.close();
  logStream = null;
  logs.hidden = true;
});

main.addEventListener("click", async (event) => {
  const el = event.target.closest("button[data-act]");
  if (!el) return;
  const t = { project: el.dataset.project, branch: el.dataset.branch, service: el.dataset.service };
  const act = el.dataset.act;
  if (act === "logs") return openLogs(t);
  if (act === "release" && !confirm("Release " + t.branch + "? Its IP, name and port go back to the pool.")) return;
  el.setAttribute("aria-busy", "true");
  el.disabled = true;
  try {
    const res = await fetch("/api/" + act, {
      method: "POST",
      headers: { "content-type": "application/json", "x-treehouse-token": token },
      body: JSON.stringify(t),
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      say((body.error || res.statusText) + (body.hint ? " (" + body.hint + ")" : ""));
    }
  } catch (error) {
    say("The dashboard did not answer: " + error.message);
  } finally {
    el.removeAttribute("aria-busy");
    el.disabled = false;
  }
});

if (render(boot.snapshot, FIRST_ROWS)) requestAnimationFrame(() => setTimeout(() => render(latest)));
setInterval(tick, 1000);
const events = new EventSource("/events?token=" + encodeURIComponent(token));
events.addEventListener("snapshot", (e) => render(JSON.parse(e.data)));
events.addEventListener("open", () => { live.textContent = "live"; live.classList.add("on"); });
events.addEventListener("error", () => { live.textContent = "reconnecting…"; live.classList.remove("on"); });
`;
