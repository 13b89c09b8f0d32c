/** Which database a clone copies: the default branch from git, and the order of the choices. */
import assert from "node:assert/strict";
import { chooseBase, defaultBranch } from "../../../src/services/db/base.ts";
import { Registry } from "../../../src/registry/registry.ts";
import { git, makeRepo, tempDir } from "../../helpers/cli.ts";

Deno.test("defaultBranch follows origin/HEAD, else main or master, else main", async () => {
  const tmp = await tempDir();
  try {
    const upstream = await makeRepo(tmp.path, "upstream", "trunk");
    await git(tmp.path, "clone", "-q", upstream, `${tmp.path}/clone`);
    await git(`${tmp.path}/clone`, "checkout", "-q", "-b", "feature");
    assert.equal(defaultBranch(`${tmp.path}/clone`), "trunk");
    assert.equal(defaultBranch(await makeRepo(tmp.path, "old", "master")), "master");
    const other = await makeRepo(tmp.path, "other", "develop");
    assert.equal(defaultBranch(other), "main", "no origin/HEAD, no main or master: the conventional name");
    assert.equal(defaultBranch(`${tmp.path}/not-a-repo`), "main");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("chooseBase: --from-database, --from, [database] template, [database] from, then the default branch", async () => {
  const tmp = await tempDir();
  const registry = Registry.open(`${tmp.path}/r.db`);
  try {
    const target = { project_path: "/src/app", app: "app" };
    const main = () => "main";
    assert.deepEqual(chooseBase(registry, target, { fromDatabase: "old_dev", fromBranch: "x" }, main), {
      name: "old_dev",
      label: "database old_dev",
    });
    assert.equal(
      chooseBase(registry, target, { fromBranch: "feature/a", template: "t" }, main).name,
      "app_dev_feature_a",
    );
    assert.equal(
      chooseBase(registry, target, { template: "my_app_dev", from: "dev" }, main).name,
      "my_app_dev",
    );
    assert.equal(chooseBase(registry, target, { from: "dev" }, main).name, "app_dev_dev");
    assert.deepEqual(chooseBase(registry, target, {}, main), {
      name: "app_dev_main",
      label: "branch main",
      branch: "main",
    });
    assert.throws(() => chooseBase(registry, target, { fromDatabase: "x".repeat(64) }, main), /63 bytes/);
  } finally {
    registry.close();
    await tmp.cleanup();
  }
});
