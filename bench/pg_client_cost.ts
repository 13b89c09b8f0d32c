// deno-lint-ignore-file no-console -- a benchmark helper reports on stdout
/**
 * The phases of a db command's PostgreSQL session, timed inside one fresh process (bench/db.ts runs it
 * a few times): loading the npm client (with the Node compatibility modules it imports), connecting
 * (TCP, start-up, authentication, one query), the statements `db create` issues around its CREATE
 * DATABASE (two locks, one look-up, the base's sessions, two unlocks) and closing.
 *
 * Usage: `deno run -A bench/pg_client_cost.ts postgres://user@host:port` prints one JSON line.
 */
import { parseServerUrl } from "../src/core/database-url.ts";

const server = parseServerUrl(Deno.args[0] ?? "", "postgres").server;
const t0 = performance.now();
await import("postgres");
const t1 = performance.now();
const { postgresEngine } = await import("../src/adapters/postgres/client.ts");
const session = await postgresEngine.connect(server);
const t2 = performance.now();
const unlockDb = await session.lock("db:bench_phase");
await session.existing(["bench_phase", "postgres"]);
const unlockTemplate = await session.lock("template:postgres");
await session.otherSessions("postgres");
await unlockTemplate();
await unlockDb();
const t3 = performance.now();
await session.close();
const t4 = performance.now();
console.log(
  JSON.stringify({ start: t0, load: t1 - t0, connect: t2 - t1, statements: t3 - t2, close: t4 - t3 }),
);
