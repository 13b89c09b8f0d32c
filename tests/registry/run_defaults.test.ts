import assert from "node:assert/strict";
import { Registry } from "../../src/registry/registry.ts";
import {
  firstNotice,
  hasConsent,
  recordConsent,
  recordedPort,
  recordedPorts,
  recordPort,
} from "../../src/registry/run-defaults.ts";

async function withRegistry(fn: (r: Registry, dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "treehouse-run0-" });
  const registry = Registry.open(`${dir}/registry.db`);
  try {
    await fn(registry, dir);
  } finally {
    registry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("recordPort() remembers a port per branch and service, replacing the older one", async () => {
  await withRegistry((r) => {
    const key = { project_path: "/p", branch: "vite", service: "default" };
    assert.equal(recordedPort(r, key), undefined);
    recordPort(r, key, 5173, 1);
    recordPort(r, { ...key, service: "api" }, 4001, 1);
    recordPort(r, { ...key, branch: "other" }, 3000, 1);
    assert.equal(recordedPort(r, key), 5173);
    recordPort(r, key, 5174, 2);
    assert.deepEqual([...recordedPorts(r, "/p", "vite")], [["api", 4001], ["default", 5174]]);
  });
});

Deno.test("recordConsent() covers one project, service and content hash", async () => {
  await withRegistry((r) => {
    assert.equal(hasConsent(r, "/p", "default", "h1"), false);
    recordConsent(r, "/p", "default", "h1", 1);
    assert.equal(hasConsent(r, "/p", "default", "h1"), true);
    assert.equal(hasConsent(r, "/p", "api", "h1"), false);
    assert.equal(hasConsent(r, "/q", "default", "h1"), false);
    recordConsent(r, "/p", "default", "h2", 2);
    assert.equal(hasConsent(r, "/p", "default", "h1"), false, "a changed command asks again");
  });
});

Deno.test("firstNotice() is true once per project and notice", async () => {
  await withRegistry((r) => {
    assert.equal(firstNotice(r, "/p", "next:host", 1), true);
    assert.equal(firstNotice(r, "/p", "next:host", 2), false);
    assert.equal(firstNotice(r, "/q", "next:host", 2), true);
  });
});
