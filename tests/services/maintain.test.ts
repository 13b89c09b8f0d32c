import assert from "node:assert/strict";
import { Registry } from "../../src/registry/registry.ts";
import { pruneReservations } from "../../src/services/maintain.ts";
import { insertReservation, listReservations, type Reservation } from "../../src/registry/reservations.ts";
import { DatabaseSync } from "node:sqlite";
import { loadSettings } from "../../src/services/settings.ts";
import { extraEnv } from "../../src/services/run/extra-env.ts";
import { systemHost } from "../../src/adapters/platform/host.ts";
import { Config } from "../../src/adapters/config-files.ts";
import * as configParser from "../../src/adapters/config-parse.ts";
import { cli, type CliOptions, tempDir } from "../helpers/cli.ts";

const DAY = 86_400_000;

function row(path: string, port: number, last_used_at: number, tag: string | null = null): Reservation {
  return {
    path,
    tag,
    port,
    project: null,
    task: null,
    created_at: last_used_at,
    last_used_at,
    expires_at: null,
  };
}

Deno.test("pruneReservations() removes reservations of deleted directories and keeps the rest", async () => {
  const tmp = await tempDir();
  const registry = Registry.open(`${tmp.path}/r.db`);
  try {
    const now = 100 * DAY;
    await Deno.mkdir(`${tmp.path}/kept`);
    await Deno.mkdir(`${tmp.path}/gone`);
    registry.write(() => {
      insertReservation(registry, row(`${tmp.path}/kept`, 5000, now));
      insertReservation(registry, row(`${tmp.path}/gone`, 5001, now, "web"));
      insertReservation(registry, row(`${tmp.path}/kept`, 5002, now - 40 * DAY, "old"));
    });
    await Deno.remove(`${tmp.path}/gone`);

    const dry = pruneReservations(registry, { dryRun: true, now });
    assert.deepEqual(dry.map((d) => [d.port, d.tag]), [[5001, "web"]]);
    assert.match(dry[0]!.reason, /no longer exists/);
    assert.equal(registry.read(() => listReservations(registry)).length, 3);

    const old = pruneReservations(registry, { dryRun: false, now, olderThanMs: 30 * DAY });
    assert.deepEqual(old.map((d) => d.port), [5001, 5002]);
    assert.match(old[1]!.reason, /not used for 40d/);
    assert.deepEqual(registry.read(() => listReservations(registry)).map((r) => r.port), [5000]);
  } finally {
    registry.close();
    await tmp.cleanup();
  }
});

function port(tmp: string, args: string[], options: CliOptions = {}) {
  return cli(["port", ...args], {
    cwd: options.cwd ?? tmp,
    db: `${tmp}/registry.db`,
    env: {
      HOME: tmp,
      XDG_CONFIG_HOME: `${tmp}/xdg`,
      TREEHOUSE_PORTS_RANGE: "25000-25999",
      TREEHOUSE_PORTS_OCCUPANCY_TCP: "0",
      TREEHOUSE_PORTS_OCCUPANCY_UDP: "0",
      ...options.env,
    },
  });
}

/** Makes a reservation look unused for `days` days. */
function age(db: string, path: string, days: number): void {
  const sqlite = new DatabaseSync(db);
  try {
    sqlite.prepare("UPDATE reservations SET last_used_at = ? WHERE path = ?").run(
      Date.now() - days * DAY,
      path,
    );
  } finally {
    sqlite.close();
  }
}

Deno.test("prune, expire and autoclean report a count, change nothing with --dry-run, and remove for real", async () => {
  const tmp = await tempDir();
  try {
    const t = tmp.path;
    for (const d of ["live", "gone", "old", "gone-old"]) {
      await Deno.mkdir(`${t}/${d}`);
      assert.equal((await port(t, ["reserve", "--path", d])).code, 0);
    }
    await Deno.remove(`${t}/gone`);
    await Deno.remove(`${t}/gone-old`);
    age(`${t}/registry.db`, `${t}/old`, 40);
    age(`${t}/registry.db`, `${t}/gone-old`, 40);

    const dry = await port(t, ["prune", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /Would remove 2 reservations/);
    assert.match(dry.stdout, /gone\tno longer exists|gone\t.*no longer exists/);
    assert.equal(JSON.parse((await port(t, ["list", "--json"])).stdout).length, 4);

    const expireDry = await port(t, ["expire", "--days", "30", "--dry-run", "--json"]);
    const doc = JSON.parse(expireDry.stdout);
    assert.equal(doc.count, 2);
    assert.equal(doc.dry_run, true);
    assert.deepEqual(doc.removed.map((r: { path: string }) => r.path).sort(), [`${t}/gone-old`, `${t}/old`]);

    const pruned = await port(t, ["prune"]);
    assert.match(pruned.stderr, /Removed 2 reservations/);
    const expired = await port(t, ["expire", "--days", "30"]);
    assert.match(expired.stderr, /Removed 1 reservation$/m);
    const rest = JSON.parse((await port(t, ["list", "--json"])).stdout).map((r: { path: string }) => r.path);
    assert.deepEqual(rest, [`${t}/live`]);

    await Deno.mkdir(`${t}/again`);
    await port(t, ["reserve", "--path", "again"]);
    await Deno.remove(`${t}/again`);
    age(`${t}/registry.db`, `${t}/live`, 31);
    const auto = await port(t, ["autoclean", "--json"]);
    assert.equal(JSON.parse(auto.stdout).count, 2, "autoclean = prune + expire (default 30 days)");
    const expireNeedsDays = await port(t, ["expire"]);
    assert.equal(expireNeedsDays.code, 2);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("migrate moves a directory's reservations, recursively, refusing to overwrite without --force", async () => {
  const tmp = await tempDir();
  try {
    const t = tmp.path;
    await Deno.mkdir(`${t}/old/sub`, { recursive: true });
    const main = (await port(t, ["reserve", "--path", "old", "--tag", "web"])).stdout;
    const sub = (await port(t, ["reserve", "--path", "old/sub"])).stdout;
    await Deno.rename(`${t}/old`, `${t}/new`);
    const moved = await port(t, ["migrate", "--from", "old", "--to", "new", "--recursive"]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stderr, /Moved 2 reservations/);
    assert.equal((await port(t, ["reserve", "--path", "new", "--tag", "web"])).stdout, main);
    assert.equal((await port(t, ["reserve", "--path", "new/sub"])).stdout, sub);
    const missing = await port(t, ["migrate", "--from", "old", "--to", "new"]);
    assert.equal(missing.code, 3);
    await Deno.mkdir(`${t}/other`);
    await port(t, ["reserve", "--path", "other", "--tag", "web"]);
    const clash = await port(t, ["migrate", "--from", "new", "--to", "other"]);
    assert.equal(clash.code, 7);
    assert.match(clash.stderr, /--force/);
    const forced = await port(t, ["migrate", "--from", "new", "--to", "other", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await port(t, ["reserve", "--path", "other", "--tag", "web"])).stdout, main);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("exclusions can be added and compacted, and scan --autoexclude excludes busy unreserved ports", async () => {
  const tmp = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const t = tmp.path;
    for (const spec of ["25000-25002", "25003", "25010-25012", "25011-25020"]) {
      assert.equal((await port(t, ["exclude", spec])).code, 0);
    }
    assert.equal((await port(t, ["exclude", "25020-25010"])).code, 2);
    const compact = await port(t, ["compact-exclusions"]);
    assert.equal(compact.stdout, "25000-25003, 25010-25020\n");
    assert.equal((await port(t, ["reserve"])).stdout, "25004\n");
    const busy = (listener.addr as Deno.NetAddr).port;
    const scan = await port(t, ["scan", "--range", `${busy}-${busy}`, "--autoexclude"], {
      env: { TREEHOUSE_PORTS_OCCUPANCY_TCP: "1" },
    });
    assert.equal(scan.code, 0, scan.stderr);
    assert.match(scan.stderr, /Excluded 1 /);
    const info = JSON.parse((await port(t, ["port-info", String(busy), "--json"])).stdout);
    assert.equal(info.excluded, true);
  } finally {
    listener.close();
    await tmp.cleanup();
  }
});

Deno.test("assertions exit 0 or 15 (a failed assertion, not the bug code 1), show-path and show-data-dir print, init creates the registry", async () => {
  const tmp = await tempDir();
  try {
    const t = tmp.path;
    assert.equal((await port(t, ["assert-data-dir"])).code, 15);
    assert.equal((await port(t, ["assert-reservation"])).code, 15);
    const init = await port(t, ["init"]);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.stdout, `${t}/registry.db\n`);
    assert.equal((await port(t, ["assert-data-dir", "--validate"])).code, 0);
    assert.equal((await port(t, ["show-data-dir"])).stdout, `${t}\n`);
    await Deno.mkdir(`${t}/real`);
    await Deno.symlink(`${t}/real`, `${t}/link`);
    assert.equal((await port(t, ["show-path", "--path", "link/x/../y"])).stdout, `${t}/real/y\n`);
    const p = (await port(t, ["reserve", "--path", "real", "--tag", "web"])).stdout.trim();
    assert.equal((await port(t, ["assert-reservation", "--path", "link", "--tag", "web"])).code, 0);
    assert.equal(
      (await port(t, ["assert-reservation", "--path", "real", "--tag", "web", "--port", p])).code,
      0,
    );
    const wrong = await port(t, ["assert-reservation", "--path", "real", "--tag", "web", "--port", "1"]);
    assert.equal(wrong.code, 15);
    assert.match(wrong.stderr, /holds port/);
    assert.equal((await port(t, ["assert-port", p])).code, 0);
    assert.equal((await port(t, ["assert-port", p, "--path", "real", "--tag", "web"])).code, 0);
    assert.equal((await port(t, ["assert-port", p, "--path", "real"])).code, 15);
    assert.equal((await port(t, ["assert-port", "1"])).code, 15);
    await Deno.writeTextFile(`${t}/registry.db`, "not sqlite at all, just text");
    assert.equal((await port(t, ["assert-data-dir", "--validate"])).code, 15);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("reserve-group prints human, json, export (bash and fish) and dotenv formats", async () => {
  const tmp = await tempDir();
  try {
    const t = tmp.path;
    await Deno.writeTextFile(
      `${t}/treehouse.toml`,
      '[group]\nbase = 25100\n[group.web]\noffset = 0\n[group.db]\nport = 25200\nenv = "PGPORT"\n',
    );
    const human = await port(t, ["reserve-group", "treehouse.toml"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /web +25100 +TREEHOUSE_PORT_WEB/);
    const bash = await port(t, ["reserve-group", "treehouse.toml", "--format", "export", "--shell", "bash"]);
    assert.equal(bash.stdout, "export TREEHOUSE_PORT_WEB='25100'\nexport PGPORT='25200'\n");
    const fish = await port(t, ["autoreserve", "--format", "export"], { env: { SHELL: "/usr/bin/fish" } });
    assert.equal(fish.stdout, "set -gx TREEHOUSE_PORT_WEB '25100'\nset -gx PGPORT '25200'\n");
    const dotenv = await port(t, ["autoreserve", "--format", "dotenv"]);
    assert.equal(dotenv.stdout, 'TREEHOUSE_PORT_WEB="25100"\nPGPORT="25200"\n');
    const json = await port(t, ["autoreserve", "--format", "json"]);
    assert.deepEqual(JSON.parse(json.stdout), { web: 25100, db: 25200 });
    const none = await port(t, ["autoreserve"], { cwd: "/" });
    assert.equal(none.code, 3);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("extraEnv() reserves the group for treehouse run and is empty without a configuration file", async () => {
  const tmp = await tempDir();
  try {
    const t = tmp.path;
    const vars: Record<string, string> = {
      HOME: t,
      XDG_CONFIG_HOME: `${t}/xdg`,
      TREEHOUSE_DB: `${t}/registry.db`,
      TREEHOUSE_PORTS_OCCUPANCY_TCP: "0",
      TREEHOUSE_PORTS_OCCUPANCY_UDP: "0",
    };
    const env = (name: string) => vars[name];
    const extraIn = async (dir: string) => {
      const registry = Registry.open(vars.TREEHOUSE_DB as string);
      try {
        return await extraEnv(
          registry,
          loadSettings(new Config(env, configParser), dir),
          systemHost(Deno.build.os).probe,
        );
      } finally {
        registry.close();
      }
    };
    await Deno.mkdir(`${t}/empty`);
    assert.deepEqual(await extraIn(`${t}/empty`), {});
    await Deno.mkdir(`${t}/app/src`, { recursive: true });
    await Deno.writeTextFile(`${t}/app/treehouse.toml`, "[group]\nbase = 25300\n[group.web]\noffset = 0\n");
    assert.deepEqual(await extraIn(`${t}/app/src`), { TREEHOUSE_PORT_WEB: "25300" });
    assert.deepEqual(await extraIn(`${t}/app`), { TREEHOUSE_PORT_WEB: "25300" });
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a --ttl reservation is renewed by use and expired once its time to live ran out", async () => {
  const tmp = await tempDir();
  try {
    const t = tmp.path;
    const first = JSON.parse((await port(t, ["reserve", "--tag", "tmp", "--ttl", "2h", "--json"])).stdout);
    assert.equal(first.expires_at - first.last_used_at, 2 * 3_600_000);
    const again = JSON.parse((await port(t, ["reserve", "--tag", "tmp", "--json"])).stdout);
    assert.equal(again.expires_at - again.last_used_at, 2 * 3_600_000, "use renews the same time to live");
    const sqlite = new DatabaseSync(`${t}/registry.db`);
    try {
      sqlite.prepare("UPDATE reservations SET expires_at = ? WHERE tag = 'tmp'").run(Date.now() - 60_000);
    } finally {
      sqlite.close();
    }
    const expired = await port(t, ["expire", "--days", "365", "--json"]);
    const doc = JSON.parse(expired.stdout);
    assert.equal(doc.count, 1);
    assert.match(doc.removed[0].reason, /time to live ran out/);
  } finally {
    await tmp.cleanup();
  }
});
