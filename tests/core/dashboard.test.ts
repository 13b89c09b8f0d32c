/** The dashboard's pure rules: the snapshot, state precedence, the request guard, terminal frames. */
import assert from "node:assert/strict";
import {
  type BranchFacts,
  branchState,
  buildSnapshot,
  formatUptime,
  snapshotKey,
} from "../../src/core/dashboard.ts";
import { allowedHosts, isLoopback, parseListen, refusal, sameSecret } from "../../src/core/web-guard.ts";
import { frame } from "../../src/core/terminal-frame.ts";

const facts = (over: Partial<BranchFacts> = {}): BranchFacts => ({
  project: "/src/app",
  branch: "main",
  host: "main.local",
  ip: "127.0.0.10",
  db: "app_dev_main",
  port: 4000,
  lastSeenAt: 1000,
  runs: [],
  ...over,
});

Deno.test("buildSnapshot() groups branches by project, sorted by name", () => {
  const snapshot = buildSnapshot([
    facts({ project: "/src/zeta", branch: "b" }),
    facts({ project: "/src/app", branch: "feature/x" }),
    facts({ project: "/src/app", branch: "dev" }),
  ], 5000);
  assert.deepEqual(snapshot.projects.map((p) => p.name), ["app", "zeta"]);
  assert.deepEqual(snapshot.projects[0]?.branches.map((b) => b.branch), ["dev", "feature/x"]);
  assert.equal(snapshot.now, 5000);
});

Deno.test("a branch without runs is stopped and links its recorded port by name and IP", () => {
  const [b] = buildSnapshot([facts()], 0).projects[0]!.branches;
  assert.equal(b?.state, "stopped");
  assert.equal(b?.startedAt, null);
  assert.deepEqual(b?.links.map((l) => l.href), ["http://main.local:4000/", "http://127.0.0.10:4000/"]);
});

Deno.test("a branch's runs give its ports, restarts, earliest start and extra URLs; port 80 has no port", () => {
  const [b] = buildSnapshot([facts({
    runs: [
      { service: "web", port: 80, state: "ready", pid: 1, startedAt: 300, restarts: 1 },
      {
        service: "api",
        port: 4001,
        state: "restarting",
        pid: 2,
        startedAt: 200,
        restarts: 2,
        extraUrls: ["https://main.local/"],
      },
    ],
  })], 0).projects[0]!.branches;
  assert.deepEqual(b?.ports, [80, 4001]);
  assert.equal(b?.restarts, 3);
  assert.equal(b?.startedAt, 200);
  assert.equal(b?.state, "restarting");
  assert.ok(b?.links.some((l) => l.href === "http://main.local/"));
  assert.ok(b?.links.some((l) => l.href === "https://main.local/"));
});

Deno.test("a running HTTPS front's URLs come first, once each", () => {
  const [b] = buildSnapshot([facts({
    port: 80,
    frontUrls: ["https://main.local/", "http://main.local/"],
    runs: [{ service: "web", port: 80, state: "ready", pid: 1, startedAt: 1, restarts: 0 }],
  })], 0).projects[0]!.branches;
  assert.deepEqual(b?.links.map((l) => l.href), [
    "https://main.local/",
    "http://main.local/",
    "http://127.0.0.10/",
  ]);
});

Deno.test("branchState() puts trouble first: crashed, restarting, starting, ready, running, stopped", () => {
  assert.equal(branchState(["ready", "crashed"]), "crashed");
  assert.equal(branchState(["ready", "starting"]), "starting");
  assert.equal(branchState(["running", "ready"]), "ready");
  assert.equal(branchState([]), "stopped");
});

Deno.test("snapshotKey() ignores the clock", () => {
  assert.equal(snapshotKey(buildSnapshot([facts()], 1)), snapshotKey(buildSnapshot([facts()], 2)));
  assert.notEqual(
    snapshotKey(buildSnapshot([facts()], 1)),
    snapshotKey(buildSnapshot([facts({ port: 1 })], 1)),
  );
});

Deno.test("formatUptime() is compact", () => {
  assert.equal(formatUptime(45_000), "45s");
  assert.equal(formatUptime(12 * 60_000), "12m");
  assert.equal(formatUptime((3 * 60 + 4) * 60_000), "3h 4m");
  assert.equal(formatUptime((2 * 24 + 5) * 3_600_000), "2d 5h");
});

Deno.test("parseListen() accepts loopback addresses and refuses every other", () => {
  assert.deepEqual(parseListen("127.0.0.1:0"), { hostname: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListen("localhost:4900"), { hostname: "127.0.0.1", port: 4900 });
  assert.deepEqual(parseListen("[::1]:80"), { hostname: "::1", port: 80 });
  for (
    const bad of [
      "0.0.0.0:4900",
      "[::]:4900",
      "192.168.1.2:80",
      "example.com:80",
      "127.0.0.1",
      "127.0.0.1:99999",
    ]
  ) {
    assert.throws(() => parseListen(bad), /ADDR:PORT|loopback only|port number/, bad);
  }
  assert.equal(isLoopback("127.255.0.1"), true);
  assert.equal(isLoopback("128.0.0.1"), false);
});

const HOSTS = allowedHosts({ hostname: "127.0.0.1", port: 4900 }, ["localhost", "treehouse.local"]);
const ok = {
  method: "POST",
  host: "127.0.0.1:4900",
  origin: null,
  fetchSite: null,
  token: "t0k",
  needsToken: true,
};

Deno.test("refusal() lets the dashboard's own requests through", () => {
  assert.equal(refusal(ok, HOSTS, "t0k"), undefined);
  assert.equal(
    refusal({ ...ok, host: "treehouse.local:4900", origin: "http://treehouse.local:4900" }, HOSTS, "t0k"),
    undefined,
  );
  assert.equal(refusal({ ...ok, fetchSite: "same-origin" }, HOSTS, "t0k"), undefined);
  assert.equal(refusal({ ...ok, method: "GET", token: null, needsToken: false }, HOSTS, "t0k"), undefined);
});

Deno.test("refusal() refuses a foreign Host, a foreign Origin, a cross-site fetch and a missing or wrong token", () => {
  assert.equal(refusal({ ...ok, host: "evil.example:4900" }, HOSTS, "t0k"), "unknown Host");
  assert.equal(refusal({ ...ok, host: null }, HOSTS, "t0k"), "unknown Host");
  assert.equal(refusal({ ...ok, host: "127.0.0.1:4901" }, HOSTS, "t0k"), "unknown Host");
  assert.equal(refusal({ ...ok, needsToken: false, host: "evil.example" }, HOSTS, "t0k"), "unknown Host");
  assert.equal(refusal({ ...ok, origin: "http://evil.example" }, HOSTS, "t0k"), "foreign Origin");
  assert.equal(refusal({ ...ok, origin: "null" }, HOSTS, "t0k"), "foreign Origin");
  assert.equal(refusal({ ...ok, fetchSite: "cross-site" }, HOSTS, "t0k"), "cross-site request");
  assert.equal(refusal({ ...ok, token: null }, HOSTS, "t0k"), "missing or wrong token");
  assert.equal(refusal({ ...ok, token: "t0K" }, HOSTS, "t0k"), "missing or wrong token");
});

Deno.test("sameSecret() compares whole strings", () => {
  assert.equal(sameSecret("abc", "abc"), true);
  assert.equal(sameSecret("abc", "abd"), false);
  assert.equal(sameSecret("abc", "abcd"), false);
});

Deno.test("frame() overwrites the previous frame line by line and clears below, never the whole screen", () => {
  const text = frame(["one", "a longer line"], 6);
  assert.equal(text, "\x1b[Hone\x1b[K\r\na long\x1b[K\x1b[J");
  assert.ok(!text.includes("\x1b[2J"));
});
