/** Database server URLs: parsing, building, masking, quoting; and which server the environment names. */
import assert from "node:assert/strict";
import {
  databaseUrl,
  formatBytes,
  invalidDatabaseName,
  maskSecret,
  parseServerUrl,
  quoteIdent,
  quoteLiteral,
  serverKey,
} from "../../src/core/database-url.ts";
import { resolveServer } from "../../src/services/db/server.ts";

Deno.test("parseServerUrl reads user, password, host, port, database and parameters", () => {
  const { server, database } = parseServerUrl(
    "postgres://me:p%40ss@db.local:6543/app_dev?sslmode=require",
    "x",
  );
  assert.deepEqual(server, {
    host: "db.local",
    port: 6543,
    user: "me",
    password: "p@ss",
    params: [["sslmode", "require"]],
  });
  assert.equal(database, "app_dev");
});

Deno.test("parseServerUrl fills in the default user, localhost and 5432", () => {
  assert.deepEqual(parseServerUrl("postgresql://", "alice").server, {
    host: "localhost",
    port: 5432,
    user: "alice",
    params: [],
  });
  assert.equal(parseServerUrl("postgres://h:80", "a").server.port, 80);
  assert.equal(parseServerUrl("postgres://[::1]:5433", "a").server.host, "::1");
  assert.equal(
    parseServerUrl("postgres://u@/db?host=/var/run/postgresql", "a").server.host,
    "/var/run/postgresql",
  );
});

Deno.test("parseServerUrl rejects what is not a PostgreSQL URL", () => {
  assert.throws(() => parseServerUrl("mysql://localhost", "a"));
  assert.throws(() => parseServerUrl("localhost:5432", "a"));
});

Deno.test("databaseUrl masks the password unless asked for the real one", () => {
  const { server } = parseServerUrl("postgres://me:s3cr%2Ft@127.0.0.1:5432", "x");
  assert.equal(databaseUrl(server, "app_dev_x", true), "postgres://me:****@127.0.0.1:5432/app_dev_x");
  assert.equal(databaseUrl(server, "app_dev_x", false), "postgres://me:s3cr%2Ft@127.0.0.1:5432/app_dev_x");
  assert.equal(databaseUrl({ ...server, host: "::1" }, undefined, true), "postgres://me:****@[::1]:5432");
  assert.equal(serverKey(server), "127.0.0.1:5432");
  assert.equal(maskSecret("password s3cr/t was wrong", server), "password **** was wrong");
});

Deno.test("quoteIdent doubles quotes and invalidDatabaseName checks PostgreSQL's limits", () => {
  assert.equal(quoteIdent('a"b'), '"a""b"');
  assert.equal(invalidDatabaseName("ok_name"), undefined);
  assert.match(invalidDatabaseName("x".repeat(64)) ?? "", /63 bytes/);
  assert.match(invalidDatabaseName("") ?? "", /empty/);
  assert.equal(formatBytes(8_100_000), "8.1 MB");
});

Deno.test("resolveServer prefers the configuration, then TREEHOUSE_DATABASE_URL, then PG*, then the default", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const all = {
    TREEHOUSE_DATABASE_URL: "postgres://e@envhost:1",
    PGHOST: "pghost",
    PGPORT: "2",
    USER: "me",
  };
  const file = resolveServer({ url: "postgres://f@filehost:3", source: "treehouse.toml:2" }, env(all));
  assert.equal(file.label, "postgres://f@filehost:3");
  assert.equal(file.source, "treehouse.toml:2");
  assert.equal(resolveServer({}, env(all)).label, "postgres://e@envhost:1");
  const pg = resolveServer({}, env({ PGHOST: "pghost", PGPORT: "2", PGPASSWORD: "pw", USER: "me" }));
  assert.equal(pg.label, "postgres://me:****@pghost:2");
  assert.equal(pg.source, "PG* variables");
  assert.equal(resolveServer({}, env({ USER: "me" })).label, "postgres://me@localhost:5432");
});

Deno.test("quoteLiteral doubles quotes and backslashes in an E'' string and refuses a NUL byte", () => {
  assert.equal(quoteLiteral("app_dev_main"), "E'app_dev_main'");
  assert.equal(quoteLiteral("it's a \\ path"), "E'it''s a \\\\ path'");
  assert.equal(quoteLiteral("'; DROP DATABASE x; --"), "E'''; DROP DATABASE x; --'");
  assert.throws(() => quoteLiteral("a\0b"), RangeError);
});
