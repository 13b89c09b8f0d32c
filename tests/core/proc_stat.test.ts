import assert from "node:assert/strict";
import { isGoneState, parseProcStat } from "../../src/core/proc-stat.ts";

Deno.test("parseProcStat() reads the fields after the last parenthesis, whatever the command name holds", () => {
  const line = "4242 (my (odd) name) S 17 4242 4242 34816 4242 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 0 0";
  assert.deepEqual(parseProcStat(line), {
    pid: 4242,
    state: "S",
    ppid: 17,
    pgrp: 4242,
    tpgid: 4242,
    startTicks: 987654,
  });
  assert.equal(parseProcStat("not a stat line"), undefined);
  assert.equal(isGoneState("Z"), true);
  assert.equal(isGoneState("S"), false);
});

const HAS_PROC = (() => {
  try {
    return Deno.statSync("/proc/self/stat").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: `parseProcStat() reads this process's own stat${HAS_PROC ? "" : " (ignored: no /proc here)"}`,
  ignore: !HAS_PROC,
}, () => {
  assert.equal(parseProcStat(Deno.readTextFileSync("/proc/self/stat"))?.pid, Deno.pid);
});
