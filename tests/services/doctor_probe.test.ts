/** doctor never accuses its own mDNS round-trip probe (issue 11 §3). */
import assert from "node:assert/strict";
import { probeAddress, staleAnnouncers } from "../../src/services/doctor/checks.ts";
import { parsePool } from "../../src/core/pool.ts";
import { cli, tempDir } from "../helpers/cli.ts";
import { avahiRunning } from "../helpers/harness.ts";

const POOL = "127.0.9.80-127.0.9.89";

Deno.test("the probe announces an address outside the pool that no branch holds", () => {
  assert.equal(probeAddress(parsePool("127.0.0.10-127.0.0.99"), []), "127.0.0.2");
  assert.equal(probeAddress(parsePool("127.0.0.2-127.0.0.99"), ["127.0.0.100"]), "127.0.0.101");
  assert.equal(probeAddress(parsePool("127.0.0.10-127.0.0.99"), ["127.0.0.2", "127.0.0.3"]), "127.0.0.4");
});

Deno.test("a doctor's probe is never a stale announcer, even on a pool address", () => {
  const inPool = () => true;
  const probe = {
    pid: 5,
    ppid: 4,
    argv: ["avahi-publish", "-a", "-R", "treehouse-doctor-1234abcd.local", "127.0.0.99"],
  };
  assert.deepEqual(staleAnnouncers([probe], inPool, []), []);
  const stale = { pid: 6, ppid: 4, argv: ["avahi-publish", "-a", "-R", "old.local", "127.0.0.99"] };
  assert.equal(staleAnnouncers([stale], inPool, []).length, 1);
});

const avahi = avahiRunning();

Deno.test({
  name: `20 doctor runs in a row with avahi: none reports its own probe${
    avahi ? "" : " (skipped: avahi-daemon not running or avahi-utils missing)"
  }`,
  ignore: !avahi,
  fn: async () => {
    const tmp = await tempDir();
    try {
      const db = `${tmp.path}/r.db`;
      const env = { TREEHOUSE_POOL: POOL, XDG_CONFIG_HOME: `${tmp.path}/xdg` };
      // A registry with a branch, so the announcer check runs (it is skipped without one).
      const ip = await cli(["ip", "--branch", "s2-probe", "--project", tmp.path], { db, env });
      assert.equal(ip.code, 0, ip.stderr);
      for (let run = 1; run <= 20; run++) {
        const r = await cli(["doctor", "--json"], { db, env, cwd: tmp.path });
        const checks = JSON.parse(r.stdout).checks as { id: string; status: string; detail: string }[];
        const mdns = checks.find((c) => c.id === "mdns");
        const announcers = checks.find((c) => c.id === "announcers");
        assert.equal(mdns?.status, "ok", `run ${run}: ${mdns?.detail}`);
        assert.equal(announcers?.status, "ok", `run ${run}: ${announcers?.detail}`);
        assert.doesNotMatch(r.stdout, /treehouse-doctor-[0-9a-f]+\.local[^"]*no longer allocated/);
      }
    } finally {
      await tmp.cleanup();
    }
  },
});
