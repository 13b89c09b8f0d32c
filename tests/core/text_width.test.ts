import assert from "node:assert/strict";
import { padCells, textWidth, truncateCells } from "../../src/core/text-width.ts";
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

Deno.test("truncateCells() cuts to a number of cells and ends in an ellipsis only when it cuts", () => {
  assert.equal(truncateCells("main", 4), "main");
  assert.equal(truncateCells("feature/login", 8), "feature…");
  assert.equal(textWidth(truncateCells("feature/login", 8)), 8);
  // A wide character that would straddle the limit is left out whole.
  assert.equal(truncateCells("日本語テキスト", 6), "日本…");
  assert.equal(textWidth(truncateCells("日本語テキスト", 6)), 5);
  assert.equal(truncateCells("x".repeat(300), 40).length, 40);
});
