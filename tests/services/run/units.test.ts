/** Pure parts of `treehouse run`: placeholders, child variables, restart policy, announcer choice, port parsing. */
import assert from "node:assert/strict";
import {
  childVariables,
  expandPlaceholders,
  LineTail,
  restartDelay,
  type RunValues,
  urlFor,
} from "../../../src/core/child-env.ts";
import {
  announceArgs,
  announcerBackoffMs,
  chooseMdnsTool,
  isDaemonDown,
  isNameConflict,
} from "../../../src/adapters/mdns.ts";
import { mdnsDaemonFix, mdnsInstallCommand } from "../../../src/adapters/platform/linux.ts";
import { collides, parseProcNetTcp } from "../../../src/adapters/net/listeners.ts";
import { descendants } from "../../../src/adapters/proc/process-info.ts";
import { exitCodeOf, signalNumber } from "../../../src/adapters/process/spawn.ts";
import { parseReady } from "../../../src/services/run/ready.ts";

const values: RunValues = {
  ip: "127.0.0.12",
  port: 4000,
  host: "feature-x.local",
  url: "http://feature-x.local:4000",
  branch: "feature/x",
  db: "app_dev_feature_x",
};

Deno.test("expandPlaceholders() replaces the six known placeholders and leaves other braces alone", () => {
  assert.equal(
    expandPlaceholders("{ip}:{port} {host} {url} {branch} {db} {other} {{ip}}", values),
    "127.0.0.12:4000 feature-x.local http://feature-x.local:4000 feature/x app_dev_feature_x {other} {127.0.0.12}",
  );
  assert.equal(expandPlaceholders("--bind={ip}", values), "--bind=127.0.0.12");
});

Deno.test("childVariables() sets TREEHOUSE_*, HOST and PORT unless envPort is off, over extra variables", () => {
  const vars = childVariables(values, { envPort: true, runId: "r1", extra: { PORT: "1", API_PORT: "5001" } });
  assert.equal(vars.TREEHOUSE_IP, "127.0.0.12");
  assert.equal(vars.TREEHOUSE_PORT, "4000");
  assert.equal(vars.TREEHOUSE_DB_NAME, "app_dev_feature_x");
  assert.equal(vars.TREEHOUSE_RUN_ID, "r1");
  assert.equal(vars.HOST, "127.0.0.12");
  assert.equal(vars.PORT, "4000");
  assert.equal(vars.API_PORT, "5001");
  const noPort = childVariables(values, { envPort: false, runId: "r1" });
  assert.equal(noPort.HOST, undefined);
  assert.equal(noPort.PORT, undefined);
  assert.equal(urlFor("a.local", 80), "http://a.local");
});

Deno.test("restartDelay() backs off 1, 2, 4, 8, 16 s for failures only, at most five times", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => restartDelay("on-failure", 1, n)), [
    1000,
    2000,
    4000,
    8000,
    16000,
    undefined,
  ]);
  assert.equal(restartDelay("on-failure", 0, 0), undefined);
  assert.equal(restartDelay("no", 1, 0), undefined);
});

Deno.test("LineTail keeps the last lines, the unfinished one included", () => {
  const tail = new LineTail(3);
  tail.push("a\nb\nc");
  tail.push("d\ne\npartial");
  assert.deepEqual(tail.lines(), ["cd", "e", "partial"]);
});

Deno.test("announceArgs() builds the dns-sd and avahi-publish command lines", () => {
  const a = { label: "feature-x", ip: "127.0.0.12", port: 4000 };
  assert.deepEqual(announceArgs("dns-sd", a), [[
    "-P",
    "feature-x",
    "_http._tcp",
    "local",
    "4000",
    "feature-x.local",
    "127.0.0.12",
  ]]);
  assert.deepEqual(announceArgs("avahi-publish", a), [
    ["-a", "-R", "feature-x.local", "127.0.0.12"],
    ["-a", "-R", "feature-x.local", "::ffff:127.0.0.12"],
    ["-s", "-H", "feature-x.local", "feature-x", "_http._tcp", "4000"],
  ]);
  assert.deepEqual([0, 1, 4, 5, 9].map(announcerBackoffMs), [1000, 2000, 16000, 32000, 120000]);
});

Deno.test("chooseMdnsTool() picks dns-sd on macOS, avahi-publish then dns-sd elsewhere", () => {
  const all = () => true;
  assert.equal(chooseMdnsTool("darwin", all), "dns-sd");
  assert.equal(chooseMdnsTool("linux", all), "avahi-publish");
  assert.equal(chooseMdnsTool("linux", (n) => n === "dns-sd"), "dns-sd");
  assert.equal(chooseMdnsTool("linux", () => false), undefined);
  assert.equal(chooseMdnsTool("darwin", (n) => n === "avahi-publish"), undefined);
});

Deno.test("parseProcNetTcp() finds listeners on a port, decoding IPv4, IPv6 and mapped addresses", () => {
  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 2A00007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0",
    "   1: 00000000:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0",
    "   2: 0100007F:0FA0 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0",
    "   3: 0100007F:0FA1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0",
  ].join("\n");
  assert.deepEqual(parseProcNetTcp(tcp, 4000), [
    { address: "127.0.0.42", inode: "111" },
    { address: "0.0.0.0", inode: "222" },
  ]);
  const tcp6 = [
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 00000000000000000000000000000000:0FA0 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0",
    "   1: 0000000000000000FFFF00002A00007F:0FA0 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 666 1 0",
  ].join("\n");
  assert.deepEqual(parseProcNetTcp(tcp6, 4000), [
    { address: "::", inode: "555" },
    { address: "127.0.0.42", inode: "666" },
  ]);
  assert.ok(collides("0.0.0.0", "127.0.0.42"));
  assert.ok(collides("::", "127.0.0.42"));
  assert.ok(!collides("127.0.0.43", "127.0.0.42"));
});

Deno.test("descendants() walks the whole tree below a pid", () => {
  const procs = [
    { pid: 10, ppid: 1, pgid: 10 },
    { pid: 11, ppid: 10, pgid: 10 },
    { pid: 12, ppid: 11, pgid: 12 },
    { pid: 13, ppid: 1, pgid: 13 },
  ];
  assert.deepEqual(descendants(procs, 10), [11, 12]);
  assert.deepEqual(descendants(procs, 13), []);
});

Deno.test("exitCodeOf() passes codes through and maps signal deaths to 128+N", () => {
  assert.equal(exitCodeOf({ code: 7, signal: null }, "linux"), 7);
  assert.equal(exitCodeOf({ code: 143, signal: "SIGTERM" }, "linux"), 143);
  assert.equal(signalNumber("SIGUSR1", "darwin"), 30);
  assert.equal(signalNumber("SIGUSR1", "linux"), 10);
});

Deno.test("parseReady() takes a port on the branch IP or an http(s) URL, and rejects the rest", () => {
  assert.deepEqual(parseReady("4000", "127.0.0.12"), { kind: "port", hostname: "127.0.0.12", port: 4000 });
  assert.deepEqual(parseReady("http://127.0.0.12:4000/health", "x"), {
    kind: "url",
    url: "http://127.0.0.12:4000/health",
  });
  assert.throws(() => parseReady("70000", "x"), /Invalid --ready value/);
  assert.throws(() => parseReady("localhost:4000", "x"), /Invalid --ready value/);
});

Deno.test("announceArgs() keeps dns-sd on this machine with -lo when local only", () => {
  const a = { label: "x", ip: "127.0.0.10", port: 4000 };
  assert.equal(announceArgs("dns-sd", a, true)[0]?.[0], "-lo");
  assert.equal(announceArgs("dns-sd", a, false)[0]?.[0], "-P");
  assert.deepEqual(announceArgs("avahi-publish", a, true), announceArgs("avahi-publish", a, false));
});

Deno.test("mdnsDaemonFix() fits how the machine starts services", () => {
  const facts = (paths: string[], programs: string[] = []) => ({
    exists: (p: string) => paths.includes(p),
    onPath: (n: string) => programs.includes(n),
  });
  assert.match(mdnsDaemonFix("linux", facts(["/run/systemd/system"])), /systemctl enable --now avahi-daemon/);
  assert.equal(mdnsDaemonFix("linux", facts([], ["rc-service"])), "sudo rc-service avahi-daemon start");
  assert.equal(
    mdnsDaemonFix("linux", facts(["/etc/init.d/avahi-daemon"], ["service"])),
    "sudo service avahi-daemon start",
  );
  assert.equal(
    mdnsDaemonFix("linux", facts(["/run/dbus/system_bus_socket"])),
    "sudo avahi-daemon --daemonize",
  );
  assert.match(mdnsDaemonFix("linux", facts([])), /dbus-daemon --system --fork && sudo avahi-daemon/);
  assert.match(mdnsDaemonFix("macos", facts([])), /launchctl kickstart/);
});

Deno.test("isDaemonDown() and isNameConflict() read what avahi-publish and dns-sd say", () => {
  assert.ok(isDaemonDown("Failed to create client object: Daemon not running"));
  assert.ok(isDaemonDown("Client failure, exiting: Daemon connection failed"));
  assert.ok(!isDaemonDown("Failed to parse port number: x"));
  assert.ok(isNameConflict("Name collision, picking new name 'feature-x-2.local'."));
  assert.ok(!isNameConflict("Established under name 'feature-x.local'"));
});

Deno.test("mdnsInstallCommand() uses the package manager this machine has", () => {
  const only = (name: string) => ({ exists: () => false, onPath: (n: string) => n === name });
  assert.match(
    mdnsInstallCommand(only("apt-get")),
    /^sudo apt-get install avahi-daemon avahi-utils libnss-mdns$/,
  );
  assert.match(mdnsInstallCommand(only("dnf")), /^sudo dnf install avahi avahi-tools nss-mdns$/);
  assert.match(mdnsInstallCommand(only("pacman")), /^sudo pacman -S/);
  assert.match(mdnsInstallCommand(only("none")), /your package manager/);
});
