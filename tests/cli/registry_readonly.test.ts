import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { cli, makeRepo, tempDir } from "../helpers/cli.ts";

function immutableSupported(): boolean {
  try {
    const probe = Deno.makeTempFileSync();
    const on = new Deno.Command("chattr", { args: ["+i", probe], stderr: "null" }).outputSync().success;
    new Deno.Command("chattr", { args: ["-i", probe], stderr: "null" }).outputSync();
    Deno.removeSync(probe);
    return on;
  } catch {
    return false;
  }
}

/** Root ignores file modes: it needs an immutable file (chattr +i); anyone else a read-only one. */
const asRoot = Deno.uid() === 0;
const canLock = !asRoot || immutableSupported();

async function lock(file: string, on: boolean): Promise<void> {
  if (asRoot) await new Deno.Command("chattr", { args: [on ? "+i" : "-i", file] }).output();
  else await Deno.chmod(file, on ? 0o444 : 0o644);
}

Deno.test({
  name: canLock
    ? "a read-only registry answers ip, env, info and list for an hour-old allocation, and a new branch is exit 6 with the chmod hint"
    : "a read-only registry ... (skipped: running as root and chattr +i is not supported here)",
  ignore: !canLock,
  fn: async () => {
    const tmp = await tempDir();
    const db = `${tmp.path}/r.db`;
    try {
      const repo = await makeRepo(tmp.path);
      const opts = {
        cwd: repo,
        db,
        env: {
          HOME: tmp.path,
          XDG_CONFIG_HOME: `${tmp.path}/xdg`,
          TREEHOUSE_POOL: "127.0.125.10-127.0.125.20",
        },
      };
      const first = await cli(["ip", "--branch", "cfg/ro"], opts);
      assert.equal(first.code, 0, first.stderr);
      const ip = first.stdout.trim();
      // Seen an hour ago: a lookup now wants to refresh last_seen_at (a write).
      const sqlite = new DatabaseSync(db);
      try {
        sqlite.prepare("UPDATE allocations SET last_seen_at = last_seen_at - 3600000").run();
      } finally {
        sqlite.close();
      }
      await lock(db, true);
      try {
        const again = await cli(["ip", "--branch", "cfg/ro"], opts);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.stdout.trim(), ip);
        assert.equal(again.stderr, "");
        const env = await cli(["env", "--branch", "cfg/ro"], opts);
        assert.equal(env.code, 0, env.stderr);
        assert.match(env.stdout, new RegExp(`TREEHOUSE_IP='${ip.replaceAll(".", "\\.")}'`));
        for (const args of [["info", "--json", "--branch", "cfg/ro"], ["list", "--json"]]) {
          const r = await cli(args, opts);
          assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
          assert.match(r.stdout, new RegExp(ip.replaceAll(".", "\\.")));
        }
        const fresh = await cli(["ip", "--branch", "cfg/new"], opts);
        assert.equal(fresh.code, 6, fresh.stderr);
        assert.match(fresh.stderr, /^treehouse: Registry \S+ cannot be written \(read-only\)$/m);
        assert.match(fresh.stderr, /^hint: Make it writable \(chmod u\+w /m);
        assert.equal(fresh.stdout, "");
      } finally {
        await lock(db, false);
      }
    } finally {
      await tmp.cleanup();
    }
  },
});
