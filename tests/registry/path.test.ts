import assert from "node:assert/strict";
import { registryPath } from "../../src/registry/path.ts";
import { cli, makeRepo, tempDir } from "../helpers/cli.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("registryPath() takes --db over TREEHOUSE_DB over XDG_DATA_HOME, and expands ~", () => {
  const vars = env({ TREEHOUSE_DB: "/a/r.db", XDG_DATA_HOME: "/x", HOME: "/home/u" });
  assert.equal(registryPath("/b/r.db", vars), "/b/r.db");
  assert.equal(registryPath(undefined, vars), "/a/r.db");
  assert.equal(
    registryPath(undefined, env({ XDG_DATA_HOME: "/x/", HOME: "/h" })),
    "/x/treehouse/registry.db",
  );
  assert.equal(registryPath("~/r.db", vars), "/home/u/r.db");
});

Deno.test("registryPath() makes a relative --db or TREEHOUSE_DB absolute against the current directory", () => {
  assert.equal(registryPath("rel.db", env({}), "/work/app"), "/work/app/rel.db");
  assert.equal(registryPath("./state/r.db", env({}), "/work/app/"), "/work/app/state/r.db");
  assert.equal(registryPath(undefined, env({ TREEHOUSE_DB: "r.db" }), "/w"), "/w/r.db");
});

Deno.test("a relative TREEHOUSE_DB keeps logs and tls/ beside the registry (was ./r/logs and ./rel.d/tls)", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "shop");
    const tls = await cli(["tls", "path"], { cwd: repo, env: { TREEHOUSE_DB: "rel.db" } });
    assert.equal(tls.code, 0, tls.stderr);
    assert.equal(tls.stdout, `${await Deno.realPath(repo)}/tls/ca.pem\n`);
  } finally {
    await tmp.cleanup();
  }
});
