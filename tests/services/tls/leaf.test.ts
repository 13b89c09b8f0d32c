import assert from "node:assert/strict";
import { leafNames } from "../../../src/core/tls.ts";
import { ensureCa } from "../../../src/services/tls/ca.ts";
import { tlsPaths } from "../../../src/services/tls/files.ts";
import { leafFor } from "../../../src/services/tls/leaf.ts";
import { tempDir } from "../../helpers/cli.ts";

const IP = "127.0.3.10";
const DAY = 24 * 60 * 60 * 1000;

async function run(cmd: string, ...args: string[]) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function mode(path: string): number {
  return (Deno.statSync(path).mode ?? 0) & 0o777;
}

Deno.test("a leaf issued by the local CA passes openssl verify and curl --cacert over real TLS", async () => {
  const tmp = await tempDir();
  try {
    const paths = tlsPaths(tmp.path);
    const names = leafNames("tls-verify.local", "tls-verify", IP, `::ffff:${IP}`);
    const leaf = await leafFor(paths, "tls-verify.local", names, Date.now());
    assert.equal(leaf.issued, "none cached");
    const verify = await run("openssl", "verify", "-CAfile", paths.caCert, leaf.certFile);
    assert.equal(verify.code, 0, verify.stderr);
    const text = await run("openssl", "x509", "-in", leaf.certFile, "-noout", "-ext", "subjectAltName");
    assert.match(text.stdout, /DNS:tls-verify\.local/);
    assert.match(text.stdout, /IP Address:127\.0\.3\.10/);
    assert.match(text.stdout, /IP Address:0:0:0:0:0:FFFF:7F00:30A/);

    const server = Deno.serve(
      { hostname: IP, port: 0, cert: leaf.certPem, key: leaf.keyPem, onListen() {} },
      () => new Response("hello over tls"),
    );
    try {
      const port = server.addr.port;
      const byName = await run(
        "curl",
        "-sS",
        "-m",
        "10",
        "--cacert",
        paths.caCert,
        "--resolve",
        `tls-verify.local:${port}:${IP}`,
        `https://tls-verify.local:${port}/`,
      );
      assert.equal(byName.stdout, "hello over tls", byName.stderr);
      const byIp = await run("curl", "-sS", "-m", "10", "--cacert", paths.caCert, `https://${IP}:${port}/`);
      assert.equal(byIp.stdout, "hello over tls", byIp.stderr);
      // Over IPv6, to the name address: a dual-stack socket reaches the IPv4 listener, and the SAN matches.
      const byV6 = await run(
        "curl",
        "-sS",
        "-m",
        "10",
        "--cacert",
        paths.caCert,
        `https://[::ffff:${IP}]:${port}/`,
      );
      assert.equal(byV6.stdout, "hello over tls", byV6.stderr);
    } finally {
      await server.shutdown();
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("the TLS directory is 0700, keys are 0600", async () => {
  const tmp = await tempDir();
  try {
    const paths = tlsPaths(tmp.path);
    const leaf = await leafFor(
      paths,
      "tls-modes.local",
      leafNames("tls-modes.local", "tls-modes", IP),
      Date.now(),
    );
    assert.equal(mode(paths.dir), 0o700);
    assert.equal(mode(paths.leaves), 0o700);
    assert.equal(mode(paths.caKey), 0o600);
    assert.equal(mode(leaf.keyFile), 0o600);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a cached leaf is reused, and issued again when names change, it nears expiry or the CA is renewed", async () => {
  const tmp = await tempDir();
  try {
    const paths = tlsPaths(tmp.path);
    const now = Date.now();
    const names = leafNames("tls-cache.local", "tls-cache", IP);
    const first = await leafFor(paths, "tls-cache.local", names, now);
    const again = await leafFor(paths, "tls-cache.local", names, now + DAY);
    assert.equal(again.issued, undefined);
    assert.equal(again.certPem, first.certPem);

    const renamed = await leafFor(paths, "tls-cache.local", leafNames("tls-cache.local", "other", IP), now);
    assert.equal(renamed.issued, "the names changed");

    const late = await leafFor(
      paths,
      "tls-cache.local",
      leafNames("tls-cache.local", "other", IP),
      now + 800 * DAY,
    );
    assert.equal(late.issued, "expires soon");

    await ensureCa(paths, { now, renew: true });
    const afterRenew = await leafFor(paths, "tls-cache.local", names, now);
    assert.equal(afterRenew.issued, "none cached"); // --renew drops the leaf cache
    const verify = await run("openssl", "verify", "-CAfile", paths.caCert, afterRenew.certFile);
    assert.equal(verify.code, 0, verify.stderr);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("two leaf requests at once get the same pair", async () => {
  const tmp = await tempDir();
  try {
    const paths = tlsPaths(tmp.path);
    const names = leafNames("tls-race.local", "tls-race", IP);
    const [a, b] = await Promise.all([
      leafFor(paths, "tls-race.local", names, Date.now()),
      leafFor(paths, "tls-race.local", names, Date.now()),
    ]);
    assert.equal(a.certPem, b.certPem);
    assert.equal(a.keyPem, b.keyPem);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("an expired or incomplete CA is an error naming the file, and nothing is replaced", async () => {
  const tmp = await tempDir();
  try {
    const paths = tlsPaths(tmp.path);
    const longAgo = Date.now() - 11 * 365 * DAY;
    await ensureCa(paths, { now: longAgo });
    const before = await Deno.readTextFile(paths.caCert);
    await assert.rejects(
      ensureCa(paths, { now: Date.now() }),
      (e: Error) =>
        e.name === "CertificateError" && /^The local CA expired on \d{4}-\d\d-\d\d: /.test(e.message),
    );
    assert.equal(await Deno.readTextFile(paths.caCert), before);
    await Deno.remove(paths.caKey);
    await assert.rejects(
      leafFor(paths, "tls-gone.local", leafNames("tls-gone.local", "tls-gone", IP), Date.now()),
      (e: Error) =>
        e.name === "CertificateError" &&
        e.message === `The local CA is incomplete: ${paths.caKey} is missing`,
    );
    assert.equal(await Deno.readTextFile(paths.caCert), before);
  } finally {
    await tmp.cleanup();
  }
});
