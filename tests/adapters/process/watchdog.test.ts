/** The watchdog that outlives a SIGKILLed `treehouse run`: what it ends, and what it leaves alone. */
import assert from "node:assert/strict";
import { isGone, killAll, waitGone } from "../../helpers/harness.ts";

const OWNER = new URL("../../fixtures/watchdog_owner.ts", import.meta.url).pathname;

async function startOwner(args: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", OWNER, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const [watched, unwatched, watchdog] = text.trim().split(" ").map(Number) as [number, number, number];
  return { child, watched, unwatched, watchdog };
}

Deno.test("the watchdog ends the watched group when its owner is SIGKILLed, and leaves unwatched ones", async () => {
  const owner = await startOwner();
  try {
    owner.child.kill("SIGKILL");
    await owner.child.status;
    await owner.child.stdout.cancel();
    await waitGone([owner.watched, owner.watchdog], 10_000);
    assert.ok(!isGone(owner.unwatched), "an unwatched process is left alone");
  } finally {
    killAll([owner.watched, owner.unwatched, owner.watchdog]);
    await owner.child.status;
  }
});

Deno.test("a released watchdog exits without ending anything", async () => {
  const owner = await startOwner(["--release"]);
  try {
    assert.equal((await owner.child.status).code, 0);
    await owner.child.stdout.cancel();
    await waitGone([owner.watchdog], 10_000);
    assert.ok(!isGone(owner.watched), "the watched process is left alone after release");
  } finally {
    killAll([owner.watched, owner.unwatched, owner.watchdog]);
  }
});
