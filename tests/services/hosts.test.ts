import assert from "node:assert/strict";
import fc from "fast-check";
import { applyBlock, BEGIN_MARKER, END_MARKER, readBlock, removeBlock } from "../../src/core/hosts-block.ts";
import { cli, makeRepo, tempDir } from "../helpers/cli.ts";

const ORIGINAL = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n# a user comment\n10.0.0.5 nas.lan\n";

const arbHosts = fc.array(
  fc.oneof(
    fc.constantFrom("127.0.0.1 localhost", "# comment", "", "  ", "10.1.2.3 box", "\r", "x\ty"),
    fc.string({ maxLength: 12 }),
  ).filter((l) => !l.includes(BEGIN_MARKER) && !l.includes(END_MARKER)),
  { maxLength: 6 },
).chain((lines) => fc.boolean().map((nl) => lines.join("\n") + (nl && lines.length ? "\n" : "")));

const arbEntries = fc.array(
  fc.record({
    ip: fc.integer({ min: 10, max: 99 }).map((n) => `127.0.0.${n}`),
    host: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/).map((h) => `${h}.local`),
  }),
  { maxLength: 5 },
);

Deno.test("removeBlock(applyBlock(file)) restores any file byte for byte", () => {
  fc.assert(fc.property(arbHosts, arbEntries, (text, entries) => {
    assert.equal(removeBlock(applyBlock(text, entries)), text);
  }));
});

Deno.test("applyBlock replaces an existing block in place and is idempotent", () => {
  fc.assert(fc.property(arbHosts, arbEntries, arbEntries, (text, first, second) => {
    const once = applyBlock(applyBlock(text, first), second);
    assert.equal(once, applyBlock(text, second));
    assert.equal(applyBlock(once, second), once);
    assert.deepEqual(
      readBlock(once)?.map((e) => `${e.ip} ${e.host}`).sort(),
      second.map((e) => `${e.ip} ${e.host}`).sort(),
    );
  }));
});

Deno.test("a block in the middle of the file keeps the lines after it", () => {
  const withBlock = applyBlock(ORIGINAL, [{ ip: "127.0.0.10", host: "a.local" }]) + "192.168.1.1 router\n";
  const updated = applyBlock(withBlock, [{ ip: "127.0.0.11", host: "b.local" }]);
  assert.ok(
    updated.endsWith(`127.0.0.11\tb.local\n::ffff:127.0.0.11\tb.local\n${END_MARKER}\n192.168.1.1 router\n`),
  );
  assert.equal(removeBlock(updated), ORIGINAL + "192.168.1.1 router\n");
});

async function registryWithBranches(dir: string, db: string, branches: string[]): Promise<string> {
  const repo = await makeRepo(dir);
  for (const branch of branches) {
    const r = await cli(["ip", "--branch", branch, "--project", repo], { db });
    assert.equal(r.code, 0, r.stderr);
  }
  return repo;
}

Deno.test("hosts sync writes every allocation and clean restores the original file exactly", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    await registryWithBranches(tmp.path, db, ["main", "feature/login"]);
    const file = `${tmp.path}/hosts`;
    await Deno.writeTextFile(file, ORIGINAL);
    await Deno.chmod(file, 0o640);

    const synced = await cli(["hosts", "sync", "--file", file], { db });
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stderr, /Updated .*hosts: 2 entries/);
    const text = await Deno.readTextFile(file);
    assert.ok(text.startsWith(ORIGINAL), "user lines are kept in front");
    assert.ok(
      text.includes(
        "127.0.0.10\tmain.local\n::ffff:127.0.0.10\tmain.local\n127.0.0.11\tfeature-login.local\n" +
          "::ffff:127.0.0.11\tfeature-login.local\n",
      ),
    );
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o640, "mode is kept");
    assert.equal(
      await Deno.readTextFile(`${file}.treehouse.bak`),
      ORIGINAL,
      "backup holds the previous file",
    );

    const again = await cli(["hosts", "sync", "--file", file], { db });
    assert.match(again.stderr, /already in sync/);

    const printed = await cli(["hosts", "print"], { db });
    assert.equal(printed.stdout, text.slice(ORIGINAL.length));

    const cleaned = await cli(["hosts", "clean", "--file", file], { db });
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.equal(await Deno.readTextFile(file), ORIGINAL);
    const temps = [...Deno.readDirSync(tmp.path)].map((e) => e.name).filter((n) => n.startsWith("."));
    assert.deepEqual(temps, []);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("hosts sync drops released allocations and --dry-run changes nothing", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    const repo = await registryWithBranches(tmp.path, db, ["main", "old"]);
    const file = `${tmp.path}/hosts`;
    await Deno.writeTextFile(file, "127.0.0.1 localhost"); // no final newline
    assert.equal((await cli(["hosts", "sync", "--file", file], { db })).code, 0);
    assert.equal((await cli(["release", "old", "--project", repo], { db })).code, 0);

    const before = await Deno.readTextFile(file);
    const dry = await cli(["hosts", "sync", "--file", file, "--dry-run"], { db });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /dry run/);
    assert.equal(await Deno.readTextFile(file), before);

    assert.equal((await cli(["hosts", "sync", "--file", file], { db })).code, 0);
    const after = await Deno.readTextFile(file);
    assert.ok(after.includes("main.local") && !after.includes("old.local"));
    assert.equal((await cli(["hosts", "clean", "--file", file], { db })).code, 0);
    assert.equal(await Deno.readTextFile(file), "127.0.0.1 localhost");
    if (Deno.build.os === "linux") { // /proc: readable, but no temp file can be made beside it
      const odd = await cli(["hosts", "sync", "--file", "/proc/version"], { db });
      assert.equal(odd.code, 16);
      assert.match(odd.stderr, /^treehouse: Cannot write \/proc\/version: .*\nhint: .*temp file beside it/);
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("concurrent hosts syncs leave one valid block and no temp files", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    await registryWithBranches(tmp.path, db, ["main", "a", "b"]);
    const file = `${tmp.path}/hosts`;
    await Deno.writeTextFile(file, ORIGINAL);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => cli(["hosts", "sync", "--file", file], { db })),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(file);
    assert.equal(text.split(BEGIN_MARKER).length, 2, "exactly one block");
    assert.equal(readBlock(text)?.length, 3);
    assert.equal(removeBlock(text), ORIGINAL);
    const leftovers = [...Deno.readDirSync(tmp.path)].map((e) => e.name).filter((n) => n.startsWith("."));
    assert.deepEqual(leftovers, []);
  } finally {
    await tmp.cleanup();
  }
});

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

Deno.test({
  name: canLock
    ? "a hosts file that cannot be written gives exit 9 with the sudo command and stays unchanged"
    : "a hosts file that cannot be written ... (skipped: running as root and chattr +i is not supported here)",
  ignore: !canLock,
  fn: async () => {
    const tmp = await tempDir();
    const file = `${tmp.path}/hosts`;
    try {
      const db = `${tmp.path}/registry.db`;
      await registryWithBranches(tmp.path, db, ["main"]);
      await Deno.writeTextFile(file, ORIGINAL);
      if (asRoot) await new Deno.Command("chattr", { args: ["+i", file] }).output();
      else await Deno.chmod(file, 0o444);
      const r = await cli(["hosts", "sync", "--file", file], { db });
      assert.equal(r.code, 9, r.stderr);
      assert.match(r.stderr, /Permission denied: cannot write/);
      assert.match(r.stderr, new RegExp(`hint: Run: sudo .* --db ${db} hosts sync --file ${file}`));
      assert.equal(await Deno.readTextFile(file), ORIGINAL);
      const names = [...Deno.readDirSync(tmp.path)].map((e) => e.name);
      assert.ok(!names.some((n) => n.includes("treehouse")), `no temp or backup file: ${names}`);
    } finally {
      if (asRoot) await new Deno.Command("chattr", { args: ["-i", file] }).output().catch(() => {});
      await tmp.cleanup();
    }
  },
});

function canBindMount(): boolean {
  if (Deno.uid() !== 0) return false;
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/a`, "");
    Deno.writeTextFileSync(`${dir}/b`, "");
    const ok =
      new Deno.Command("mount", { args: ["--bind", `${dir}/a`, `${dir}/b`], stderr: "null" }).outputSync()
        .success;
    if (ok) new Deno.Command("umount", { args: [`${dir}/b`] }).outputSync();
    return ok;
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const bindMount = canBindMount();

Deno.test({
  name: bindMount
    ? "a bind-mounted hosts file (as in containers) is rewritten in place"
    : "a bind-mounted hosts file ... (skipped: needs root allowed to mount --bind)",
  ignore: !bindMount,
  fn: async () => {
    const tmp = await tempDir();
    const file = `${tmp.path}/hosts`;
    let mounted = false;
    try {
      const db = `${tmp.path}/registry.db`;
      await registryWithBranches(tmp.path, db, ["main"]);
      await Deno.writeTextFile(`${tmp.path}/source`, ORIGINAL);
      await Deno.writeTextFile(file, "");
      mounted =
        (await new Deno.Command("mount", { args: ["--bind", `${tmp.path}/source`, file] }).output()).success;
      assert.ok(mounted);
      const synced = await cli(["hosts", "sync", "--file", file], { db });
      assert.equal(synced.code, 0, synced.stderr);
      assert.ok(
        (await Deno.readTextFile(`${tmp.path}/source`)).includes("main.local"),
        "the mounted file changed",
      );
      assert.equal((await cli(["hosts", "clean", "--file", file], { db })).code, 0);
      assert.equal(await Deno.readTextFile(`${tmp.path}/source`), ORIGINAL);
    } finally {
      if (mounted) await new Deno.Command("umount", { args: [file] }).output();
      await tmp.cleanup();
    }
  },
});

Deno.test("hosts never creates a registry: under sudo it names the user's registry to pass with --db", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/missing.db`;
    const file = `${tmp.path}/hosts`;
    await Deno.writeTextFile(file, ORIGINAL);
    const r = await cli(["hosts", "sync", "--file", file], { db, env: { SUDO_USER: "alice" } });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /No registry at .*missing\.db \(running as root through sudo\)/);
    assert.match(r.stderr, /--db ~alice\/\.local\/share\/treehouse\/registry\.db/);
    await assert.rejects(Deno.stat(db));
    assert.equal(await Deno.readTextFile(file), ORIGINAL);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a symlinked hosts file is written at its target and stays a symlink", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    await registryWithBranches(tmp.path, db, ["main"]);
    await Deno.mkdir(`${tmp.path}/static`);
    await Deno.writeTextFile(`${tmp.path}/static/hosts`, ORIGINAL);
    await Deno.symlink(`${tmp.path}/static/hosts`, `${tmp.path}/hosts`);
    assert.equal((await cli(["hosts", "sync", "--file", `${tmp.path}/hosts`], { db })).code, 0);
    assert.ok((await Deno.lstat(`${tmp.path}/hosts`)).isSymlink);
    assert.ok((await Deno.readTextFile(`${tmp.path}/static/hosts`)).includes("main.local"));
    assert.equal((await cli(["hosts", "clean", "--file", `${tmp.path}/hosts`], { db })).code, 0);
    assert.equal(await Deno.readTextFile(`${tmp.path}/static/hosts`), ORIGINAL);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("hosts sync waits for the hosts directory lock, then reads the registry as it is then", async () => {
  const tmp = await tempDir();
  const dir = `${tmp.path}/etc`;
  await Deno.mkdir(dir);
  const lock = await Deno.open(dir, { read: true });
  try {
    const db = `${tmp.path}/registry.db`;
    const repo = await registryWithBranches(tmp.path, db, ["main", "old"]);
    const file = `${dir}/hosts`;
    await Deno.writeTextFile(file, ORIGINAL);
    await lock.lock(true);
    const waiting = cli(["hosts", "sync", "--file", file], { db });
    assert.equal((await cli(["release", "old", "--project", repo], { db })).code, 0);
    assert.equal(await Deno.readTextFile(file), ORIGINAL, "nothing written while the lock is held");
    await lock.unlock();
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(file);
    assert.ok(text.includes("main.local") && !text.includes("old.local"), text);
  } finally {
    lock.close();
    await tmp.cleanup();
  }
});
