import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  checkPlaceholders,
  consentHash,
  consentSubject,
  planRun,
  type RunRequest,
} from "../../src/core/run-plan.ts";
import { parseRunTable, type RunConfig } from "../../src/core/run-table.ts";
import { splitCommand } from "../../src/core/words.ts";

const fail = (key: string, problem: string): never => {
  throw new Error(`${key}: ${problem}`);
};
const table = (value: unknown): RunConfig => parseRunTable(value, "/p/treehouse.toml", fail);
const request = (over: Partial<RunRequest> = {}): RunRequest => ({ typed: [], preset: true, ...over });
const context = (config?: RunConfig, recorded: Record<string, number> = {}) => ({
  config,
  recordedPort: (s: string) => recorded[s],
  defaultPort: 4000,
  env: () => undefined,
});

Deno.test("splitCommand() splits words and quotes like a shell, without one", () => {
  assert.deepEqual(splitCommand("npx vite --port {port}"), ["npx", "vite", "--port", "{port}"]);
  assert.deepEqual(splitCommand(`python3 -c 'print("a b")' "x \\" y" a\\ b`), [
    "python3",
    "-c",
    'print("a b")',
    'x " y',
    "a b",
  ]);
  assert.throws(() => splitCommand("npm run build && npm start"), /shell syntax/);
  assert.throws(() => splitCommand("echo $HOME"), /shell syntax/);
  assert.throws(() => splitCommand("echo 'open"), /unclosed/);
});

Deno.test("parseRunTable() reads [run] and [run.<service>] with every field", () => {
  const config = table({
    command: "npx vite",
    port: 5173,
    ready: "{url}/",
    restart: "on-failure",
    env: { DEBUG: "1", N: 2 },
    api: { command: ["node", "api.js"], port: 4001, preset: false, https: true },
  });
  assert.equal(config.dir, "/p");
  assert.deepEqual(config.services.map((s) => s.name), ["default", "api"]);
  assert.deepEqual(config.services[0]?.command, ["npx", "vite"]);
  assert.deepEqual(config.services[0]?.env, { DEBUG: "1", N: "2" });
  assert.equal(config.services[1]?.preset, false);
  assert.throws(() => table({ command: 3 }), /run\.command: expected a list of strings/);
  assert.throws(() => table({ port: 70000 }), /run\.port/);
  assert.throws(() => table({ restart: "always" }), /run\.restart/);
  assert.throws(() => table({ comand: ["x"] }), /run\.comand: unknown key/);
  assert.throws(() => table({ api: { cmd: "x" } }), /run\.api\.cmd: unknown key/);
  assert.throws(() => table({ command: "a | b" }), /shell syntax/);
});

Deno.test("planRun() starts the default service with its preset and port", () => {
  const plan = planRun(request(), context(table({ command: ["npx", "vite"], port: 5173 })));
  assert.equal(plan.service, "default");
  assert.equal(plan.fromConfig, true);
  assert.equal(plan.cwd, "/p");
  assert.deepEqual(plan.words, ["npx", "vite", "--host", "{ip}", "--port", "{port}", "--strictPort"]);
  assert.equal(plan.port, 5173);
  assert.equal(plan.portSource, "config");
  assert.equal(plan.preset?.name, "Vite");
  assert.ok(plan.consentSubject);
});

Deno.test("planRun() takes the port from the flag, then the record, then [run], then the default", () => {
  const config = table({ command: ["node", "s.js"], port: 5173 });
  assert.deepEqual([planRun(request({ port: 9 }), context(config, { default: 7 })).port], [9]);
  assert.equal(planRun(request(), context(config, { default: 7 })).portSource, "recorded");
  assert.equal(planRun(request(), context(config)).port, 5173);
  const typed = planRun(request({ typed: ["node", "s.js"] }), context());
  assert.deepEqual([typed.port, typed.portSource, typed.fromConfig], [4000, "default", false]);
});

Deno.test("planRun() runs a named service, and says which exist when the name is wrong", () => {
  const config = table({
    web: { command: ["npx", "vite"] },
    api: { command: ["node", "api.js"], port: 4001 },
  });
  assert.equal(planRun(request({ service: "api" }), context(config)).port, 4001);
  assert.throws(() => planRun(request(), context(config)), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.hint ?? "", /treehouse run web, treehouse run api/);
    return true;
  });
  assert.throws(() => planRun(request({ service: "npx" }), context(config)), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /No service "npx"/);
    assert.match(e.hint ?? "", /treehouse run -- npx/);
    return true;
  });
  assert.throws(() => planRun(request({ service: "web" }), context(undefined)), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.message, 'No service "web": there is no [run] table');
    return true;
  });
});

Deno.test("planRun() without a command or [run] explains both ways", () => {
  assert.throws(() => planRun(request(), context()), /No command to run/);
});

Deno.test("planRun() with --no-preset or preset = false leaves the command as typed", () => {
  const typed = ["npx", "vite"];
  assert.deepEqual(planRun(request({ typed, preset: false }), context()).words, typed);
  const config = table({ command: typed, preset: false });
  assert.deepEqual(planRun(request(), context(config)).words, typed);
  assert.equal(planRun(request({ typed }), context()).fromConfig, false);
});

Deno.test("checkPlaceholders() names the known placeholders for an unknown one", () => {
  checkPlaceholders(["{url}/health", "{ip}:{port}", '{"json": 1}', "{}"], "--ready");
  assert.throws(() => checkPlaceholders(["{prot}://{host}"], "--ready"), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /Unknown placeholder \{prot\} in --ready/);
    assert.match(e.hint ?? "", /\{ip\} \{port\} \{host\} \{url\} \{branch\} \{db\}/);
    return true;
  });
});

Deno.test("consentHash() changes with the command or its variables, not with the port", async () => {
  const a = table({ command: ["npx", "vite"], port: 1 }).services[0]!;
  const b = table({ command: ["npx", "vite"], port: 2 }).services[0]!;
  const c = table({ command: ["npx", "vite", "--x"] }).services[0]!;
  const d = table({ command: ["npx", "vite"], env: { NODE_OPTIONS: "--require evil" } }).services[0]!;
  const hash = async (s: typeof a) => await consentHash(consentSubject(s));
  assert.equal(await hash(a), await hash(b));
  assert.notEqual(await hash(a), await hash(c));
  assert.notEqual(await hash(a), await hash(d));
});

Deno.test("checkPlaceholders() in a command flags near misses only, so a program's own braces stay", () => {
  checkPlaceholders(["jq", "{name: .x}", "{other}", "{json}"], "the command", true);
  assert.throws(
    () => checkPlaceholders(["--port", "{prot}"], "the command", true),
    /Unknown placeholder \{prot\}/,
  );
  assert.throws(() => checkPlaceholders(["{hots}"], "the command", true), /\{hots\}/);
});
