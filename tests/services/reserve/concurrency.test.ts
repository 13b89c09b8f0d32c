import assert from "node:assert/strict";
import { cli, type CliOptions, tempDir } from "../../helpers/cli.ts";

function port(tmp: string, args: string[], options: CliOptions = {}) {
  return cli(["port", ...args], {
    cwd: options.cwd ?? tmp,
    db: `${tmp}/registry.db`,
    env: { HOME: tmp, XDG_CONFIG_HOME: `${tmp}/xdg`, TREEHOUSE_PORTS_RANGE: "31000-31999", ...options.env },
  });
}

Deno.test("40 processes reserving 40 different tags at once get 40 distinct ports", async () => {
  const tmp = await tempDir();
  try {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => port(tmp.path, ["reserve", "--tag", `svc${i}`])),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const ports = results.map((r) => Number(r.stdout.trim()));
    assert.equal(new Set(ports).size, 40, ports.join(" "));
    for (const p of ports) assert.ok(p >= 31000 && p <= 31999);
    const list = JSON.parse((await port(tmp.path, ["list", "--json"])).stdout) as { port: number }[];
    assert.deepEqual(list.map((r) => r.port).sort(), [...ports].sort());
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("20 processes reserving the same key at once all get the one same port", async () => {
  const tmp = await tempDir();
  try {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => port(tmp.path, ["reserve", "--tag", "web"])),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(new Set(results.map((r) => r.stdout)).size, 1);
    const list = JSON.parse((await port(tmp.path, ["list", "--json"])).stdout);
    assert.equal(list.length, 1);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("two groups reserved at once never share a port, and each stays the same on repeat", async () => {
  const tmp = await tempDir();
  try {
    const group =
      "[group]\nbase = 31000\n[group.web]\noffset = 0\n[group.api]\noffset = 1\n[group.db]\noffset = 2\n";
    for (const name of ["one", "two"]) {
      await Deno.mkdir(`${tmp.path}/${name}`);
      await Deno.writeTextFile(`${tmp.path}/${name}/treehouse.toml`, group);
    }
    const runs = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          port(tmp.path, ["autoreserve", "--format", "json"], {
            cwd: `${tmp.path}/${i % 2 ? "two" : "one"}`,
          }),
      ),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const one = runs.filter((_, i) => i % 2 === 0).map((r) => r.stdout);
    const two = runs.filter((_, i) => i % 2 === 1).map((r) => r.stdout);
    assert.equal(new Set(one).size, 1, "group one got one answer");
    assert.equal(new Set(two).size, 1, "group two got one answer");
    const a = Object.values(JSON.parse(one[0]!)) as number[];
    const b = Object.values(JSON.parse(two[0]!)) as number[];
    assert.equal(new Set([...a, ...b]).size, 6, `${a} / ${b}`);
    // Offsets hold within each group: web, api, db are consecutive.
    for (const ports of [a, b]) assert.deepEqual(ports, [ports[0]!, ports[0]! + 1, ports[0]! + 2]);
  } finally {
    await tmp.cleanup();
  }
});
