import assert from "node:assert/strict";
import { padCells, textWidth } from "../../src/core/text-width.ts";
import { table } from "../../src/cli/output.ts";

Deno.test("textWidth() counts terminal cells: wide characters two, combining marks none", () => {
  assert.equal(textWidth("main"), 4);
  assert.equal(textWidth("日本語"), 6);
  assert.equal(textWidth("feature/ünï"), 11);
  assert.equal(textWidth("e\u0301"), 1, "e + combining acute");
  assert.equal(textWidth("한국"), 4);
  assert.equal(padCells("日本", 6), "日本  ");
  assert.equal(padCells("toolong", 3), "toolong");
});

Deno.test("table() lines up columns after wide branch names", () => {
  const text = table(["BRANCH", "IP"], [["日本語", "127.0.0.10"], ["main", "127.0.0.11"]]);
  const lines = text.trimEnd().split("\n");
  // The IP column starts at the same terminal cell on every line.
  const starts = lines.map((l) => textWidth(l.slice(0, l.search(/IP|127/))));
  assert.deepEqual(starts, [8, 8, 8]);
});
