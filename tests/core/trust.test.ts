/**
 * Project files are untrusted: what `treehouse.toml` / `treehouse.local.toml` may set, and how the
 * user's own file or a variable allows more.
 */
import assert from "node:assert/strict";
import { parseConfigText } from "../../src/adapters/config-parse.ts";
import { checkTemplate, NO_TRUST, type Trust } from "../../src/core/trust.ts";
import { ConfigError } from "../../src/errors.ts";
import { cli, makeRepo, tempDir } from "../helpers/cli.ts";

const POOL = "127.0.9.10-127.0.9.20";

function refusal(text: string, trust: Trust = NO_TRUST, kind: "project" | "local" = "project"): ConfigError {
  try {
    parseConfigText(text, "/p/treehouse.toml", kind, trust);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

function accepted(text: string, trust: Trust = NO_TRUST): void {
  parseConfigText(text, "/p/treehouse.toml", "project", trust);
}

const trust = (t: Partial<Trust>): Trust => ({
  ...NO_TRUST,
  userFile: "/h/.config/treehouse/config.toml",
  ...t,
});

Deno.test("a project's hostname template may only make names under suffixes reserved for local use", () => {
  for (const ok of ["{branch}.local", "{branch}.test", "{branch}.localhost", "{branch}.internal"]) {
    assert.equal(checkTemplate(ok, NO_TRUST), undefined, ok);
  }
  assert.equal(checkTemplate("{branch}.{project}.home.arpa", NO_TRUST), undefined);
  for (
    const bad of ["{branch}.bank.example.com", "www.{branch}.google.com", "{branch}", "{branch}.{project}"]
  ) {
    assert.notEqual(checkTemplate(bad, NO_TRUST), undefined, bad);
  }
  assert.notEqual(checkTemplate("{branch}local", NO_TRUST), undefined, "no dot before the suffix");
});

Deno.test("a refused template names the file, the line and the user-file key that would allow it", () => {
  const e = refusal(
    'pool = "127.0.0.10-127.0.0.20"\nhostname_template = "{branch}.bank.example.com"\n',
    trust({}),
  );
  assert.match(
    e.message,
    /^\/p\/treehouse\.toml:2: hostname_template: "\{branch\}\.bank\.example\.com" makes names/,
  );
  assert.match(e.message, /\/etc\/hosts/);
  assert.match(
    e.hint ?? "",
    /"bank\.example\.com" to trust\.domains in \/h\/\.config\/treehouse\/config\.toml/,
  );
  assert.match(e.hint ?? "", /TREEHOUSE_TRUST_DOMAINS=bank\.example\.com/);
  assert.equal(e.exitCode, 8);
  assert.match(refusal('hostname_template = "www.{branch}.google.com"\n', NO_TRUST, "local").message, /:1:/);
});

Deno.test("trust.domains lets project files use a domain and the names under it", () => {
  accepted('hostname_template = "{branch}.bank.example.com"\n', trust({ domains: ["example.com"] }));
  accepted('hostname_template = "{branch}.example.com"\n', trust({ domains: ["example.com"] }));
  refusal('hostname_template = "{branch}.notexample.com"\n', trust({ domains: ["example.com"] }));
});

Deno.test("the user's own file may name any domain and holds [trust]; a project file may not", () => {
  const user = parseConfigText(
    'hostname_template = "{branch}.corp.example"\n[trust]\ndomains = [".Example.COM"]\nkeys = ["pool"]\n',
    "/h/config.toml",
    "user",
  );
  assert.deepEqual(user.trust, { domains: ["example.com"], keys: ["pool"] });
  const e = refusal('[trust]\ndomains = ["example.com"]\n');
  assert.match(e.message, /:1: trust: only your own config file/);
  assert.throws(
    () => parseConfigText('[trust]\nkeys = ["hostname"]\n', "/h/config.toml", "user"),
    /trust\.keys: "hostname" is not a limited key/,
  );
});

Deno.test("a project's pool must stay inside 127.0.0.2-127.0.0.254 unless trust.keys has pool", () => {
  accepted('pool = "127.0.0.20-127.0.0.30"\n');
  for (const bad of ["127.0.0.1-127.0.0.20", "127.0.0.10-127.0.1.20", "127.0.0.2-127.0.255.254"]) {
    const e = refusal(`pool = "${bad}"\n`, trust({}));
    assert.match(
      e.message,
      new RegExp(`:1: pool: ${bad.replaceAll(".", "\\.")} reaches outside 127\\.0\\.0\\.2-127\\.0\\.0\\.254`),
    );
    assert.match(e.hint ?? "", /add "pool" to trust\.keys in \/h\/\.config\/treehouse\/config\.toml/);
    assert.match(e.hint ?? "", /TREEHOUSE_TRUST_KEYS=pool/);
  }
  accepted('pool = "127.0.1.10-127.0.1.20"\n', trust({ keys: ["pool"] }));
});

Deno.test("durations that decide when other projects' records go cannot be shortened by a project", () => {
  const cases: [string, string][] = [
    ['reclaim_after = "1h"', "reclaim_after"],
    ['stale_after = "1m"', "stale_after"],
    ['heartbeat = "10ms"', "heartbeat"],
    ['[cleanup]\nexpire_after = "1ms"', "cleanup.expire_after"],
  ];
  for (const [text, key] of cases) {
    const e = refusal(`${text}\n`, trust({}));
    assert.match(
      e.message,
      new RegExp(`: ${key.replace(".", "\\.")}: \\w+ is shorter than \\w+, the least`),
      key,
    );
    assert.match(e.hint ?? "", new RegExp(`"${key}" to trust\\.keys`), key);
    accepted(`${text}\n`, trust({ keys: [key] }));
  }
  accepted('reclaim_after = "14d"\nstale_after = "1h"\nheartbeat = "30s"\n[cleanup]\nexpire_after = "60d"\n');
});

Deno.test("a group's variable names must be port variables unless trust.keys has group.env", () => {
  accepted(
    '[group.db]\nport = 5432\nenv = "PGPORT"\n[group.web]\noffset = 0\nenv = "TREEHOUSE_PORT_FRONT"\n',
  );
  for (const name of ["PATH", "LD_PRELOAD", "PROMPT_COMMAND", "TREEHOUSE_DB", "NODE_OPTIONS"]) {
    const e = refusal(`[group.web]\noffset = 0\nenv = "${name}"\n`, trust({}));
    assert.match(e.message, new RegExp(`:3: group\\.web\\.env: ${name} is not a port variable`));
    assert.match(e.hint ?? "", /"group\.env" to trust\.keys/);
  }
  accepted('[group.web]\noffset = 0\nenv = "WEB_ADDR"\n', trust({ keys: ["group.env"] }));
});

Deno.test("settings a project may set freely are accepted as they are", () => {
  accepted(
    'default_port = 80\n[ports]\nrange = "1000-2000"\nexclude = [1500]\n[ports.occupancy]\nudp = false\n' +
      "[cleanup]\non_exhaustion = false\n[group]\nbase = 1000\n[group.web]\noffset = 0\n",
  );
});

Deno.test("treehouse refuses a cloned repository's foreign domain until the user's file or a variable allows it", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "cloned", "s2-trust");
    await Deno.writeTextFile(`${repo}/treehouse.toml`, 'hostname_template = "{branch}.bank.example.com"\n');
    const db = `${tmp.path}/r.db`;
    const env = { TREEHOUSE_POOL: POOL, XDG_CONFIG_HOME: `${tmp.path}/config` };
    const refused = await cli(["allocate"], { cwd: repo, db, env });
    assert.equal(refused.code, 8, refused.stderr);
    assert.equal(refused.stdout, "");
    assert.match(refused.stderr, new RegExp(`${repo}/treehouse\\.toml:1: hostname_template`));
    assert.match(refused.stderr, new RegExp(`${tmp.path}/config/treehouse/config\\.toml`));

    const viaEnv = await cli(["allocate", "--json"], {
      cwd: repo,
      db,
      env: { ...env, TREEHOUSE_TRUST_DOMAINS: "example.com" },
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(JSON.parse(viaEnv.stdout).host, "s2-trust.bank.example.com");
    const hosts = await cli(["hosts", "print"], { cwd: repo, db, env });
    assert.equal(hosts.code, 8, "hosts commands refuse it too");
    assert.match(hosts.stderr, /hostname_template/);

    await Deno.mkdir(`${tmp.path}/config/treehouse`, { recursive: true });
    await Deno.writeTextFile(
      `${tmp.path}/config/treehouse/config.toml`,
      '[trust]\ndomains = ["bank.example.com"]\n',
    );
    const viaFile = await cli(["info", "--json"], { cwd: repo, db, env });
    assert.equal(viaFile.code, 0, viaFile.stderr);
    assert.equal(JSON.parse(viaFile.stdout).host, "s2-trust.bank.example.com");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a project may keep mDNS local or off, not widen it to the network", () => {
  accepted('mdns = "local"\n');
  accepted('mdns = "off"\n');
  const e = refusal('mdns = "lan"\n', trust({}));
  assert.match(e.message, /:1: mdns: "lan" is wider than a project file may set/);
  assert.match(e.hint ?? "", /"mdns" to trust\.keys/);
  accepted('mdns = "lan"\n', trust({ keys: ["mdns"] }));
});

Deno.test("a project's database server must be this machine unless trust.keys has database.url", () => {
  for (
    const ok of [
      "postgres://localhost/app",
      "postgres://127.0.0.1:5433/app",
      "postgresql:///app?host=/var/run/postgresql",
    ]
  ) {
    accepted(`[database]\nurl = "${ok}"\n`);
  }
  const e = refusal('[database]\nurl = "postgres://me@db.example.com/app"\n', trust({}));
  assert.match(e.message, /:2: database\.url: db\.example\.com is not this machine/);
  assert.match(e.hint ?? "", /"database\.url" to trust\.keys/);
  refusal('[database]\nurl = "postgres://localhost/app?host=db.example.com"\n', trust({}));
  accepted('[database]\nurl = "postgres://me@db.example.com/app"\n', trust({ keys: ["database.url"] }));
});
