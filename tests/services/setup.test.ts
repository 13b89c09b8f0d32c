import assert from "node:assert/strict";
import { aliasPlist, pfAnchor, planSetup, planUninstall } from "../../src/core/macos-plan.ts";
import { cli, makeRepo, ROOT, tempDir } from "../helpers/cli.ts";

const FAKEBIN = `${ROOT}/tests/fixtures/ops/fakebin`;
const POOL = "127.0.0.10-127.0.0.12";
const ALIAS_PLIST = "/Library/LaunchDaemons/dev.treehouse.lo0-aliases.plist";
const PF_PLIST = "/Library/LaunchDaemons/dev.treehouse.pf-port80.plist";
const ANCHOR = "/etc/pf.anchors/treehouse";

/** A temp root, state dir and log for the fake macOS programs. */
async function fakeMac() {
  const tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const state = `${tmp.path}/state`;
  await Deno.mkdir(root);
  await Deno.mkdir(state);
  const log = `${tmp.path}/log`;
  await Deno.writeTextFile(log, "");
  const env = (extra: Record<string, string> = {}) => ({
    PATH: `${FAKEBIN}:${Deno.env.get("PATH")}`,
    TREEHOUSE_PLATFORM: "macos",
    TREEHOUSE_ROOT: root,
    TREEHOUSE_POOL: POOL,
    TREEHOUSE_SUDO: "0",
    FAKE_LOG: log,
    FAKE_STATE: state,
    ...extra,
  });
  /** Commands that change something (reads such as `ifconfig lo0` and `launchctl print` left out). */
  const changes = async () => {
    const lines = (await Deno.readTextFile(log)).split("\n").filter(Boolean);
    await Deno.writeTextFile(log, "");
    return lines.filter((l) => l !== "ifconfig lo0" && !l.startsWith("launchctl print"))
      .map((l) => l.replaceAll(root, "ROOT").replace(/\/\S*treehouse-setup-\S*/, "STAGED"));
  };
  const files = async (): Promise<string[]> => {
    const found: string[] = [];
    const walk = async (dir: string) => {
      for await (const e of Deno.readDir(dir)) {
        if (e.isDirectory) await walk(`${dir}/${e.name}`);
        else found.push(`${dir}/${e.name}`.slice(root.length));
      }
    };
    await walk(root);
    return found.sort();
  };
  const lines = async (name: string) =>
    (await Deno.readTextFile(`${state}/${name}`).catch(() => "")).split("\n").filter(Boolean);
  return { tmp, root, env, changes, files, lines, db: `${tmp.path}/registry.db` };
}

Deno.test("the alias plist runs one ifconfig alias per pool IP at load", () => {
  const text = aliasPlist(["127.0.0.10", "127.0.0.11"]);
  assert.match(text, /<string>dev\.treehouse\.lo0-aliases<\/string>/);
  assert.match(
    text,
    /<string>\/sbin\/ifconfig lo0 alias 127\.0\.0\.10 up; \/sbin\/ifconfig lo0 alias 127\.0\.0\.11 up<\/string>/,
  );
  assert.match(text, /<key>RunAtLoad<\/key>\n {2}<true\/>/);
});

Deno.test("the pf anchor sends ports 80 and 443 of every pool IP to the front's ports on the same IP", () => {
  assert.equal(
    pfAnchor(["127.0.0.10", "127.0.0.11"]),
    "# treehouse: <ip>:80 -> <ip>:10080, <ip>:443 -> <ip>:10443 for every pool IP; written by `treehouse setup --ports`\n" +
      "rdr pass on lo0 inet proto tcp from any to 127.0.0.10 port 80 -> 127.0.0.10 port 10080\n" +
      "rdr pass on lo0 inet proto tcp from any to 127.0.0.10 port 443 -> 127.0.0.10 port 10443\n" +
      "rdr pass on lo0 inet proto tcp from any to 127.0.0.11 port 80 -> 127.0.0.11 port 10080\n" +
      "rdr pass on lo0 inet proto tcp from any to 127.0.0.11 port 443 -> 127.0.0.11 port 10443\n",
  );
});

Deno.test("planSetup is empty when everything is in place", () => {
  const ips = ["127.0.0.10"];
  assert.deepEqual(
    planSetup({ aliasPlist: aliasPlist(ips), aliasLoaded: true, aliases: new Set(ips), pfLoaded: false }, {
      ips,
    }),
    [],
  );
});

Deno.test("setup through sudo writes the plist, loads it, adds the aliases, and a re-run does nothing", async () => {
  const mac = await fakeMac();
  try {
    const env = mac.env({ TREEHOUSE_SUDO: "1" });
    const refused = await cli(["setup"], { db: mac.db, env });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /will:\n {2}sudo write /);
    assert.match(refused.stderr, /pass --yes/);
    assert.deepEqual(await mac.changes(), [], "nothing runs without consent");

    const r = await cli(["setup", "--yes"], { db: mac.db, env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await mac.changes(), [
      "sudo -v",
      "sudo mkdir -p ROOT/Library/LaunchDaemons",
      `sudo install -m 0644 STAGED ROOT${ALIAS_PLIST}`,
      `sudo launchctl bootstrap system ROOT${ALIAS_PLIST}`,
      `launchctl bootstrap system ROOT${ALIAS_PLIST}`,
      "sudo ifconfig lo0 alias 127.0.0.10 up",
      "ifconfig lo0 alias 127.0.0.10 up",
      "sudo ifconfig lo0 alias 127.0.0.11 up",
      "ifconfig lo0 alias 127.0.0.11 up",
      "sudo ifconfig lo0 alias 127.0.0.12 up",
      "ifconfig lo0 alias 127.0.0.12 up",
    ]);
    assert.equal(
      await Deno.readTextFile(`${mac.root}${ALIAS_PLIST}`),
      await Deno.readTextFile(`${ROOT}/tests/fixtures/ops/lo0-aliases.plist`),
    );
    assert.match(r.stderr, /Done: 3 lo0 aliases/);

    const again = await cli(["setup"], { db: mac.db, env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Already set up/);
    assert.deepEqual(await mac.changes(), []);
  } finally {
    await mac.tmp.cleanup();
  }
});

Deno.test("setup --ports adds the pool-wide pf anchor and its daemon (--port80 is its old name); --uninstall removes everything and nothing else", async () => {
  const mac = await fakeMac();
  try {
    const repo = await makeRepo(mac.tmp.path);
    assert.equal(
      (await cli(["ip", "--project", repo, "--branch", "main"], { db: mac.db, env: mac.env() })).code,
      0,
    );
    await Deno.mkdir(`${mac.root}/etc/pf.anchors`, { recursive: true });
    await Deno.writeTextFile(`${mac.root}/etc/pf.anchors/com.apple`, "# not ours\n");

    const r = await cli(["setup", "--ports"], { db: mac.db, env: mac.env() });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await mac.changes(), [
      `launchctl bootstrap system ROOT${ALIAS_PLIST}`,
      "ifconfig lo0 alias 127.0.0.10 up",
      "ifconfig lo0 alias 127.0.0.11 up",
      "ifconfig lo0 alias 127.0.0.12 up",
      `pfctl -a com.apple/treehouse -f ROOT${ANCHOR}`,
      `launchctl bootstrap system ROOT${PF_PLIST}`,
    ]);
    assert.equal(
      await Deno.readTextFile(`${mac.root}${ANCHOR}`),
      pfAnchor(["127.0.0.10", "127.0.0.11", "127.0.0.12"]),
    );
    assert.match(
      await Deno.readTextFile(`${mac.root}${PF_PLIST}`),
      /<string>-E<\/string>\n {4}<string>-a<\/string>\n {4}<string>com\.apple\/treehouse<\/string>/,
    );
    assert.deepEqual(await mac.files(), [ALIAS_PLIST, PF_PLIST, "/etc/pf.anchors/com.apple", ANCHOR].sort());

    const again = await cli(["setup", "--port80"], { db: mac.db, env: mac.env() });
    assert.match(again.stderr, /Already set up/);
    assert.deepEqual(await mac.changes(), []);

    const dry = await cli(["setup", "--uninstall", "--dry-run"], { db: mac.db, env: mac.env() });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /Dry run: nothing changed/);
    assert.deepEqual(await mac.changes(), []);

    const un = await cli(["setup", "--uninstall"], { db: mac.db, env: mac.env() });
    assert.equal(un.code, 0, un.stderr);
    assert.deepEqual(await mac.changes(), [
      "launchctl bootout system/dev.treehouse.pf-port80",
      "pfctl -a com.apple/treehouse -F all",
      "launchctl bootout system/dev.treehouse.lo0-aliases",
      "ifconfig lo0 -alias 127.0.0.10",
      "ifconfig lo0 -alias 127.0.0.11",
      "ifconfig lo0 -alias 127.0.0.12",
    ]);
    assert.deepEqual(
      await mac.files(),
      ["/etc/pf.anchors/com.apple"],
      "only the file that was not ours is left",
    );
    assert.deepEqual(await mac.lines("aliases"), []);
    assert.deepEqual(await mac.lines("loaded"), []);

    const twice = await cli(["setup", "--uninstall"], { db: mac.db, env: mac.env() });
    assert.match(twice.stderr, /Nothing to uninstall/);
  } finally {
    await mac.tmp.cleanup();
  }
});

Deno.test("setup on Linux explains that IPs need nothing and how to get mDNS or use the hosts file", async () => {
  const env = { TREEHOUSE_PLATFORM: "linux", TREEHOUSE_DB: "/nonexistent/r.db", XDG_CONFIG_HOME: "/xdg/cfg" };
  for (const args of [["setup"], ["setup", "--dry-run"]]) {
    const r = await cli(args, { env });
    assert.equal(r.code, 0, r.stderr);
    // Advice is a message (stderr), like the plans of --ports and --https; stdout stays empty.
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /nothing to set up for IPs/);
    assert.match(r.stderr, /127\.0\.0\.0\/8 is local/);
    assert.match(r.stderr, /libnss-mdns/);
    assert.match(r.stderr, /hosts sync/);
    // The user's config file where it really is.
    assert.match(r.stderr, /mdns = "off" in \/xdg\/cfg\/treehouse\/config\.toml/);
  }
});

Deno.test("a changed pool removes the aliases only the previous plist added, and uninstall removes both", () => {
  const old = ["127.0.0.10", "127.0.0.11", "127.0.0.12"];
  const state = { aliasPlist: aliasPlist(old), aliasLoaded: true, aliases: new Set(old), pfLoaded: false };
  const steps = planSetup(state, { ips: ["127.0.0.10", "127.0.0.11"] });
  assert.deepEqual(steps.filter((s) => s.kind === "run").map((s) => s.kind === "run" && s.argv.join(" ")), [
    "launchctl bootout system/dev.treehouse.lo0-aliases",
    `launchctl bootstrap system ${ALIAS_PLIST}`,
    "ifconfig lo0 -alias 127.0.0.12",
  ]);
  const un = planUninstall(state, ["127.0.0.10"]);
  assert.deepEqual(
    un.filter((s) => s.kind === "run" && s.argv[0] === "ifconfig").map((s) => s.kind === "run" && s.argv[3]),
    old,
  );
});
