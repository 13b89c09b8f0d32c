/**
 * `runServer` with its dependencies passed in: collaborators' hooks (prepare, spawned, ready,
 * stopping), the run's state as the supervisor moves it, restart on demand and stop on demand. Real
 * child processes on this file's own IP range (127.0.21.x) and a temp registry.
 */
import { Config } from "../../../src/adapters/config-files.ts";
import assert from "node:assert/strict";
import { Announcer } from "../../../src/adapters/mdns.ts";
import { systemHost } from "../../../src/adapters/platform/host.ts";
import { LINUX } from "../../../src/adapters/platform/platform.ts";
import { systemProcess } from "../../../src/adapters/process/adapter.ts";
import { ConflictError } from "../../../src/errors.ts";
import { Registry } from "../../../src/registry/registry.ts";
import type { RunState } from "../../../src/services/run/control.ts";
import { runServer } from "../../../src/services/run/session.ts";
import type { RunBanner, RunCollaborator, RunDeps, RunRequest } from "../../../src/services/run/types.ts";
import { loadSettings } from "../../../src/services/settings.ts";
import { tempDir } from "../../helpers/cli.ts";
import { freePort, getJson, isGone, SERVER_CMD, waitGone } from "../../helpers/harness.ts";

const POOL = "127.0.21.10-127.0.21.20";
const host = systemHost(Deno.build.os);

async function setup(collaborators: RunCollaborator[]) {
  const tmp = await tempDir();
  const vars: Record<string, string> = { TREEHOUSE_POOL: POOL, XDG_CONFIG_HOME: `${tmp.path}/config` };
  const env = (name: string) => vars[name];
  const registry = Registry.open(`${tmp.path}/registry.db`);
  const banners: RunBanner[] = [];
  const messages: string[] = [];
  const deps: RunDeps = {
    registry,
    now: Date.now,
    runId: (now) => `${Deno.pid}-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    platform: LINUX,
    process: systemProcess(host),
    net: { checkPortFree: host.bindCheck, findPortHolders: host.portHolders, probe: host.probe },
    announcers: (tool, args, events) => new Announcer(tool, args, {}, events),
    env,
    cwd: tmp.path,
    output: {
      banner: (b) => banners.push(b),
      info: (text) => messages.push(text),
      warn: (text) => messages.push(`warning: ${text}`),
      ready: (url) => messages.push(`ready at ${url}`),
    },
    collaborators,
  };
  const port = freePort();
  const request = (branch: string): RunRequest => ({
    command: SERVER_CMD[0] as string,
    args: SERVER_CMD.slice(1),
    target: { project_path: tmp.path, branch, app: "demo" },
    settings: loadSettings(new Config(env), tmp.path),
    port,
    mdns: false,
    envPort: true,
    restart: "no",
    ready: String(port),
    readyTimeoutMs: 20_000,
    killTimeoutMs: 2000,
    quiet: false,
    hosts: false,
  });
  return {
    deps,
    request,
    banners,
    messages,
    cleanup: async () => {
      registry.close();
      await tmp.cleanup();
    },
  };
}

Deno.test("runServer runs each collaborator's hooks: prepare's variable and banner row, spawned per child, ready, stopping once", async () => {
  const pids: number[] = [];
  const states: RunState[] = [];
  const answers: Record<string, unknown>[] = [];
  let stops = 0;
  let readies = 0;
  const collaborator: RunCollaborator = {
    name: "r-test",
    prepare(session) {
      session.setEnv("TREEHOUSE_DB_NAME", "from_the_collaborator");
      session.addBannerRow("Extra", "yes");
      session.control.onState((state) => states.push(state));
    },
    spawned(_session, pid) {
      pids.push(pid);
    },
    ready(session) {
      readies++;
      const url = `http://${session.values.ip}:${session.values.port}/`;
      // The first time ready: check the child's variables, then ask for a restart; the second: stop.
      void getJson(url).then((answer) => {
        answers.push(answer);
        if (readies === 1) assert.equal(session.control.restart(), true);
        else session.control.stop();
      });
    },
    stopping() {
      stops++;
    },
  };
  const t = await setup([collaborator]);
  try {
    const outcome = await runServer(t.deps, t.request("r-hooks"));
    assert.equal(outcome.code, 143, "the stopped child's SIGTERM code");
    assert.equal(pids.length, 2, "spawned once for the start and once for the restart");
    assert.notEqual(pids[0], pids[1]);
    assert.equal(answers[0]?.db, "from_the_collaborator");
    assert.equal(answers[1]?.pid, pids[1]);
    assert.equal(stops, 1);
    assert.deepEqual(states, ["ready", "restarting", "starting", "ready", "stopped"]);
    assert.deepEqual(t.banners[0]?.rows.at(-1), ["Extra", "yes"]);
    assert.equal(t.messages.filter((m) => m.startsWith("ready at")).length, 1, "ready is printed once");
    await waitGone(pids);
    assert.ok(pids.every(isGone));
  } finally {
    await t.cleanup();
  }
});

Deno.test("a collaborator's prepare that throws stops the run before the child starts; the ones prepared before it are stopped", async () => {
  const calls: string[] = [];
  const first: RunCollaborator = {
    name: "first",
    prepare: () => void calls.push("first.prepare"),
    spawned: () => void calls.push("first.spawned"),
    stopping: () => void calls.push("first.stopping"),
  };
  const refusing: RunCollaborator = {
    name: "refusing",
    prepare: () => {
      calls.push("refusing.prepare");
      throw new ConflictError("The front is taken", { hint: "Stop the other front" });
    },
    stopping: () => void calls.push("refusing.stopping"),
  };
  const t = await setup([first, refusing]);
  try {
    await assert.rejects(runServer(t.deps, t.request("r-refused")), ConflictError);
    assert.deepEqual(calls, ["first.prepare", "refusing.prepare", "first.stopping"]);
    assert.deepEqual(t.banners, [], "no banner for a run that never started");
  } finally {
    await t.cleanup();
  }
});

Deno.test("a collaborator may only change the child's variables during prepare", async () => {
  let late: unknown;
  const t = await setup([{
    name: "late",
    spawned(session) {
      try {
        session.setEnv("TREEHOUSE_X", "1");
      } catch (error) {
        late = error;
      }
      session.control.stop();
    },
  }]);
  try {
    await runServer(t.deps, { ...t.request("r-late"), ready: undefined });
    assert.match(String(late), /only possible during prepare/);
  } finally {
    await t.cleanup();
  }
});
