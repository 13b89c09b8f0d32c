import { strict as assert } from "node:assert";
import { fastFlagNames, normalizeRunArgs, parseFast } from "../../src/cli/fast-path.ts";
import { UsageError } from "../../src/errors.ts";
import { cli } from "../helpers/cli.ts";

Deno.test("parseFast() parses plain `ip` calls like the full parser", () => {
  assert.deepEqual(parseFast(["ip"]), { command: "ip", flags: {}, rest: [] });
  assert.deepEqual(parseFast(["ip", "--branch", "feature/x", "--project=/src/app", "--app", "shop"]), {
    command: "ip",
    flags: { branch: "feature/x", project: "/src/app", app: "shop" },
    rest: [],
  });
  assert.deepEqual(parseFast(["ip", "--branch=-dash"])?.flags, { branch: "-dash" });
});

Deno.test("parseFast() parses plain `run` calls with defaults, negations and the command after --", () => {
  assert.deepEqual(parseFast(["run", "--", "mix", "phx.server"]), {
    command: "run",
    flags: { mdns: true, envPort: true, preset: true },
    rest: ["mix", "phx.server"],
  });
  assert.deepEqual(
    parseFast([
      "run",
      "--port",
      "5173",
      "--no-mdns",
      "--no-env-port",
      "--restart=on-failure",
      "--ready-timeout",
      "2.5",
      "--kill-timeout=1",
      "--quiet",
      "--name",
      "api",
      "--",
      "npx",
      "vite",
      "--port",
      "{port}",
    ]),
    {
      command: "run",
      flags: {
        preset: true,
        mdns: false,
        envPort: false,
        restart: "on-failure",
        port: 5173,
        readyTimeout: 2.5,
        killTimeout: 1,
        quiet: true,
        name: "api",
      },
      rest: ["npx", "vite", "--port", "{port}"],
    },
  );
});

Deno.test("parseFast() takes a plain `run` (the project's [run] command) and a service", () => {
  assert.deepEqual(parseFast(["run"]), {
    command: "run",
    flags: { mdns: true, envPort: true, preset: true },
    rest: [],
  });
  assert.deepEqual(parseFast(normalizeRunArgs(["run", "api", "--yes", "--no-preset"]))?.flags, {
    mdns: true,
    envPort: true,
    preset: false,
    yes: true,
    service: "api",
  });
});

Deno.test("normalizeRunArgs() turns a service word into --service and explains a command without --", () => {
  assert.deepEqual(normalizeRunArgs(["run", "--port", "3", "api", "--", "x"]), [
    "run",
    "--port",
    "3",
    "--service",
    "api",
    "--",
    "x",
  ]);
  assert.deepEqual(normalizeRunArgs(["run", "--", "npx", "vite"]), ["run", "--", "npx", "vite"]);
  assert.deepEqual(normalizeRunArgs(["ip", "x"]), ["ip", "x"]);
  for (const args of [["run", "npx", "vite", "--host", "{ip}"], ["run", "node", "--inspect", "s.js"]]) {
    assert.throws(() => normalizeRunArgs(args), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.message, `Put the command after \`--\`: treehouse run -- ${args.slice(1).join(" ")}`);
      return true;
    });
  }
});

Deno.test("parseFast() leaves anything unusual to the full parser", () => {
  for (
    const args of [
      ["ip", "--help"],
      ["ip", "-h"],
      ["ip", "--nope"],
      ["ip", "--branch"],
      ["ip", "--branch", "a", "--branch", "b"],
      ["ip", "extra"],
      ["info"],
      ["run", "--"],
      ["run", "python3", "-m", "http.server"],
      ["run", "--port", "99999", "--", "x"],
      ["run", "--restart", "always", "--", "x"],
      ["run", "--quiet=yes", "--", "x"],
      ["run", "--no-port", "--", "x"],
      ["run", "--ready-timeout", "0", "--", "x"],
      ["--version"],
      [],
    ]
  ) {
    assert.equal(parseFast(args), undefined, args.join(" "));
  }
});

Deno.test("the fast path knows exactly the flags the full parser declares for ip, run, dashboard, status and restart", async () => {
  for (const command of ["ip", "run", "dashboard", "status", "restart"] as const) {
    const help = await cli([command, "--help"]);
    const usage = help.stdout.split("\n").find((l) => l.trim().startsWith(`treehouse ${command} [`)) ?? "";
    // Switches on by default show as users type them, [--no-mdns].
    const declared = [...usage.matchAll(/\[--(?:no-)?([a-z0-9-]+)/g)].map((m) => m[1] as string).sort();
    assert.deepEqual(fastFlagNames(command).sort(), declared, command);
  }
});

Deno.test("parseFast() parses plain `dashboard` calls and leaves unusual ones to the full parser", () => {
  assert.deepEqual(parseFast(["dashboard"]), { command: "dashboard", flags: {}, rest: [] });
  assert.deepEqual(parseFast(["dashboard", "--listen", "127.0.0.1:0", "--open", "--json-url"]), {
    command: "dashboard",
    flags: { listen: "127.0.0.1:0", open: true, jsonUrl: true },
    rest: [],
  });
  for (const args of [["dashboard", "--help"], ["dashboard", "--no-open"], ["dashboard", "extra"]]) {
    assert.equal(parseFast(args), undefined, args.join(" "));
  }
});
