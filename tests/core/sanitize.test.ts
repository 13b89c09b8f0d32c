import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  databaseName,
  fitLabel,
  isValidLabel,
  labelForBranch,
  MAX_DB_NAME,
  sanitizeLabel,
} from "../../src/core/sanitize.ts";
import { chooseHostname } from "../../src/core/hostname.ts";
import { shortHash } from "../../src/core/hash.ts";

Deno.test("sanitizeLabel() turns the seed's branch names into DNS labels", () => {
  assert.equal(sanitizeLabel("feature/auth-flow"), "feature-auth-flow");
  assert.equal(sanitizeLabel("ijcd/my_branch!"), "ijcd-mybranch");
  assert.equal(sanitizeLabel("a".repeat(100)), "a".repeat(63));
  assert.equal(sanitizeLabel("-foo-"), "foo");
  assert.equal(sanitizeLabel("--bar--"), "bar");
  assert.equal(sanitizeLabel("Feature/UPPER"), "feature-upper");
  assert.equal(sanitizeLabel("main"), "main");
});

Deno.test("sanitizeLabel() trims dashes again after cutting at 63 characters", () => {
  const label = sanitizeLabel(`${"a".repeat(62)}-${"b".repeat(10)}`);
  assert.equal(label, "a".repeat(62));
});

Deno.test("labelForBranch() gives names with nothing usable a stable fallback", () => {
  for (const name of ["!!!", "日本語", "___", "/", "---"]) {
    const label = labelForBranch(name);
    assert.match(label, /^branch-[0-9a-f]{6}$/);
    assert.equal(labelForBranch(name), label, "stable");
    assert.ok(isValidLabel(label));
  }
  assert.notEqual(labelForBranch("!!!"), labelForBranch("日本語"));
});

Deno.test("labelForBranch() keeps hostile names valid and harmless", () => {
  const hostile = [
    "$(rm -rf ~)",
    "`id`",
    "a;b&&c|d",
    "x".repeat(300),
    "💥/boom",
    "..",
    "a\nb",
    "' OR 1=1 --",
  ];
  for (const name of hostile) {
    const label = labelForBranch(name);
    assert.ok(isValidLabel(label), `${JSON.stringify(name)} → ${label}`);
    assert.ok(label.length <= 63);
  }
  assert.equal(labelForBranch("$(rm -rf ~)"), "rm-rf");
});

Deno.test("every label is a valid DNS label (property)", () => {
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (branch) => {
    const label = labelForBranch(branch);
    return isValidLabel(label) && label.length <= 63;
  }));
});

Deno.test("fitLabel() ends a cut label with a hash of the full value", () => {
  const a = fitLabel(`${"x".repeat(70)}-a`);
  const b = fitLabel(`${"x".repeat(70)}-b`);
  assert.equal(a.length, 63);
  assert.notEqual(a, b);
  assert.ok(isValidLabel(a) && isValidLabel(b));
});

Deno.test("databaseName() builds <app>_dev_<branch> with every other character as _", () => {
  assert.equal(databaseName("myapp", "feature/auth-flow"), "myapp_dev_feature_auth_flow");
  assert.equal(databaseName("My-App", "Main"), "my_app_dev_main");
  assert.equal(databaseName("app", "$(rm -rf ~)"), "app_dev___rm__rf___");
  assert.match(databaseName("app", "日本"), /^app_dev____[0-9a-f]{6}$/);
});

Deno.test("databaseName() never gives two branches whose names differ only outside ASCII one database", () => {
  // Each such character becomes `_`: without the hash, 日本語 and 中文字 were both app_dev____.
  assert.notEqual(databaseName("app", "日本語"), databaseName("app", "中文字"));
  assert.notEqual(databaseName("app", "feature/ünï"), databaseName("app", "feature/äöü"));
  assert.equal(databaseName("app", "日本語"), databaseName("app", "日本語"), "stable");
  assert.equal(databaseName("app", "feature/login"), "app_dev_feature_login", "ASCII names unchanged");
});

Deno.test("databaseName() stays within 63 bytes and long names never collide", () => {
  const a = databaseName("app", `${"long".repeat(30)}-a`);
  const b = databaseName("app", `${"long".repeat(30)}-b`);
  assert.equal(new TextEncoder().encode(a).length, MAX_DB_NAME);
  assert.notEqual(a, b);
  assert.match(a, /_[0-9a-f]{6}$/);
  fc.assert(fc.property(fc.string(), fc.string({ maxLength: 300 }), (app, branch) => {
    const name = databaseName(app, branch);
    return new TextEncoder().encode(name).length <= 63 && /^[a-z0-9_]+$/.test(name);
  }));
});

Deno.test("chooseHostname() disambiguates the same branch in two projects deterministically", () => {
  const first = chooseHostname("main", "/src/alpha", new Set());
  assert.equal(first, "main");
  const second = chooseHostname("main", "/src/beta", new Set(["main"]));
  assert.equal(second, "main-beta");
  assert.equal(chooseHostname("main", "/src/beta", new Set(["main"])), second, "deterministic");
  const third = chooseHostname("main", "/other/beta", new Set(["main", "main-beta"]));
  assert.match(third, /^main-[0-9a-f]{6}$/);
  const fourth = chooseHostname("main", "/other/beta", new Set(["main", "main-beta", third]));
  assert.ok(![first, second, third].includes(fourth));
  assert.ok(isValidLabel(fourth));
});

Deno.test("chooseHostname() honours a preferred label", () => {
  assert.equal(chooseHostname("feature/x", "/src/app", new Set(), "Shop"), "shop");
});

Deno.test("shortHash() is stable and hex", () => {
  assert.equal(shortHash("abc"), shortHash("abc"));
  assert.match(shortHash("abc"), /^[0-9a-f]{6}$/);
  assert.notEqual(shortHash("abc"), shortHash("abd"));
});
