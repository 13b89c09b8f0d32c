import assert from "node:assert/strict";
import { multiLabelWarning } from "../../src/core/hostname-template.ts";

Deno.test("multiLabelWarning() names templates whose .local names have more than one label", () => {
  assert.equal(multiLabelWarning("{branch}.local"), undefined);
  assert.equal(multiLabelWarning("{branch}-{project}.local"), undefined);
  assert.equal(multiLabelWarning("{branch}.{project}.test"), undefined, "not mDNS: the hosts file serves it");
  const w = multiLabelWarning("{branch}.{project}.local") ?? "";
  assert.match(w, /feature-x\.myapp\.local/);
  assert.match(w, /mdns4_minimal/);
  assert.match(w, /use "\{branch\}-\{project\}\.local"/);
});
