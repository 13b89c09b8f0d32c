/**
 * The IPv6 answer of a branch name, for real through avahi: the AAAA record is the IPv4-mapped
 * address, it answers at once, and an IPv6 client reaches the branch's own server, never a decoy
 * listening on [::1] at the same port.
 */
import assert from "node:assert/strict";
import { announceArgs } from "../../src/adapters/mdns.ts";
import { skipped } from "../helpers/cli.ts";

const IP = "127.0.3.30";
const LABEL = "tls-v6decoy";
const HOST = `${LABEL}.local`;

async function run(cmd: string, ...args: string[]) {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch {
    return { code: 127, stdout: "", stderr: `${cmd} not found` };
  }
}

const avahi = (await run("avahi-daemon", "--check")).code === 0 &&
  (await run("avahi-resolve", "--help")).code !== 127;
if (!avahi) skipped("the IPv6 answer test needs avahi-daemon running and avahi-utils (see ENVIRONMENT.md)");

Deno.test({
  name: "a name's AAAA answer is its IPv4-mapped address and IPv6 clients never reach a decoy on [::1]",
  ignore: !avahi,
  fn: async () => {
    const probe = Deno.listen({ hostname: IP, port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const real = Deno.serve({ hostname: IP, port, onListen() {} }, () => new Response("real"));
    const decoy = Deno.serve({ hostname: "::1", port, onListen() {} }, () => new Response("decoy"));
    const publishers = announceArgs("avahi-publish", { label: LABEL, ip: IP, port })
      .filter((args) => args[0] === "-a")
      .map((args) => new Deno.Command("avahi-publish", { args, stdout: "null", stderr: "null" }).spawn());
    try {
      let v6 = "";
      for (let i = 0; i < 50 && !v6; i++) {
        const out = await run("avahi-resolve", "-6", "-n", HOST);
        v6 = out.code === 0 ? (out.stdout.trim().split(/\s+/)[1] ?? "") : "";
      }
      assert.equal(v6, `::ffff:${IP}`);
      const byV6 = await run(
        "curl",
        "-sS",
        "-6",
        "-m",
        "10",
        "--resolve",
        `${HOST}:${port}:[${v6}]`,
        `http://${HOST}:${port}/`,
      );
      assert.equal(byV6.stdout, "real", byV6.stderr);
      const byName = await run("curl", "-s", "-6", "-m", "10", `http://${HOST}:${port}/`);
      assert.notEqual(byName.stdout, "decoy");
      const direct = await run("curl", "-s", "-m", "10", `http://[::1]:${port}/`);
      assert.equal(direct.stdout, "decoy", "the decoy does listen");
    } finally {
      for (const p of publishers) {
        try {
          p.kill("SIGTERM");
        } catch { /* gone */ }
        await p.status;
      }
      await real.shutdown();
      await decoy.shutdown();
    }
  },
});
