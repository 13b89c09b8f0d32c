import assert from "node:assert/strict";
import { pipedOutputEnv } from "../../src/core/piped-output.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("pipedOutputEnv forces colour and unbuffered Python only for output bound for a terminal", () => {
  assert.deepEqual(pipedOutputEnv(envOf({ TERM: "xterm-256color" }), true), {
    FORCE_COLOR: "1",
    CLICOLOR_FORCE: "1",
    PYTHONUNBUFFERED: "1",
  });
  assert.deepEqual(pipedOutputEnv(envOf({ TERM: "xterm-256color" }), false), {});
});

Deno.test("pipedOutputEnv leaves colour alone when the user chose (NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE) or TERM is dumb", () => {
  const choices: Record<string, string>[] = [
    { NO_COLOR: "1" },
    { FORCE_COLOR: "0" },
    { CLICOLOR_FORCE: "1" },
    {
      TERM: "dumb",
    },
  ];
  for (const vars of choices) {
    assert.deepEqual(pipedOutputEnv(envOf(vars), true), { PYTHONUNBUFFERED: "1" }, JSON.stringify(vars));
  }
  assert.deepEqual(pipedOutputEnv(envOf({ NO_COLOR: "1", PYTHONUNBUFFERED: "" }), true), {});
});
