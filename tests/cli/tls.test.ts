import assert from "node:assert/strict";
import { bytes, cli, tempDir } from "../helpers/cli.ts";

Deno.test("tls ca prints the CA once created and the same CA after; tls path names it", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/data/registry.db`;
    const first = await cli(["tls", "ca"], { db });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^-----BEGIN CERTIFICATE-----\n/);
    assert.match(first.stderr, /created the local CA/);
    const second = await cli(["tls", "ca"], { db });
    assert.equal(second.stdout, first.stdout);
    assert.equal(second.stderr, "");
    const path = await cli(["tls", "path"], { db });
    assert.equal(path.stdout, `${tmp.path}/data/tls/ca.pem\n`);
    assert.equal(await Deno.readTextFile(path.stdout.trim()), first.stdout);
    const listed = JSON.parse((await cli(["tls", "path", "--json"], { db })).stdout);
    assert.equal(listed.ca_cert, `${tmp.path}/data/tls/ca.pem`);
    assert.equal(listed.ca_key, `${tmp.path}/data/tls/ca-key.pem`);
    assert.deepEqual(
      listed.files.map((f: { kind: string; mode: string }) => [f.kind, f.mode]),
      [["ca-cert", "0644"], ["ca-key", "0600"]],
    );
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a corrupt CA is a clear error, its file untouched, until tls ca --renew replaces it", async () => {
  const tmp = await tempDir();
  try {
    const db = `${tmp.path}/registry.db`;
    assert.equal((await cli(["tls", "ca"], { db })).code, 0);
    const ca = `${tmp.path}/tls/ca.pem`;
    await Deno.writeTextFile(
      ca,
      "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n",
    );
    const before = await bytes(ca);
    const broken = await cli(["tls", "ca"], { db });
    assert.equal(broken.code, 13);
    assert.equal(broken.stdout, "");
    assert.equal(
      broken.stderr,
      `treehouse: The local CA certificate is corrupt: ${ca}\n` +
        "hint: Run `treehouse tls ca --renew` to make a new CA, then `treehouse setup --https` to trust it again\n",
    );
    assert.deepEqual(await bytes(ca), before);
    const renewed = await cli(["tls", "ca", "--renew"], { db });
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.match(renewed.stderr, /made a new local CA/);
    assert.equal(await Deno.readTextFile(ca), renewed.stdout);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("tls path creates nothing", async () => {
  const tmp = await tempDir();
  try {
    const out = await cli(["tls", "path", "--json"], { db: `${tmp.path}/registry.db` });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout).files, []);
    assert.equal([...Deno.readDirSync(tmp.path)].length, 0);
  } finally {
    await tmp.cleanup();
  }
});
