import { strict as assert } from "node:assert";
import {
  DEFAULT_POOL,
  formatPool,
  intToIp,
  ipToInt,
  lowestFreeIp,
  parsePool,
  poolSize,
} from "../../src/core/pool.ts";
import { chooseReclaim, isStale } from "../../src/core/policy.ts";
import { formatAge, parseDuration } from "../../src/core/duration.ts";
import { UsageError } from "../../src/errors.ts";
import { parsePort } from "../../src/services/settings.ts";

Deno.test("parsePool() reads the default pool of 90 loopback addresses", () => {
  const pool = parsePool(DEFAULT_POOL);
  assert.equal(poolSize(pool), 90);
  assert.equal(formatPool(pool), "127.0.0.10-127.0.0.99");
  assert.equal(poolSize(parsePool("127.0.0.10-127.0.0.40")), 31);
  assert.equal(poolSize(parsePool("127.0.0.42")), 1);
  assert.equal(poolSize(parsePool("127.0.1.1-127.0.2.254")), 510);
});

Deno.test("parsePool() rejects invalid pools with a usage error", () => {
  for (
    const bad of [
      "",
      "nope",
      "10.0.0.1-10.0.0.9",
      "127.0.0.50-127.0.0.10",
      "127.0.0.300",
      "127.0.0.1-127.0.0.2-3",
      "127.0.0.0-127.0.0.5",
      "127.0.0.10-127.0.0.255",
      "1.2.3",
    ]
  ) {
    assert.throws(() => parsePool(bad), UsageError, bad);
  }
});

Deno.test("ipToInt() and intToIp() round-trip", () => {
  assert.equal(ipToInt("127.0.0.10"), 0x7f00000a);
  assert.equal(intToIp(0x7f00000a), "127.0.0.10");
  assert.equal(ipToInt("127.0.0.256"), undefined);
  assert.equal(ipToInt("127.0.0"), undefined);
  assert.equal(intToIp(ipToInt("127.1.2.3") as number), "127.1.2.3");
});

Deno.test("lowestFreeIp() reuses the lowest released IP", () => {
  const pool = parsePool("127.0.0.10-127.0.0.14");
  assert.equal(lowestFreeIp(pool, []), "127.0.0.10");
  assert.equal(lowestFreeIp(pool, ["127.0.0.10", "127.0.0.12"]), "127.0.0.11");
  assert.equal(
    lowestFreeIp(pool, ["127.0.0.10", "127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14"]),
    undefined,
  );
  assert.equal(lowestFreeIp(pool, ["127.0.0.99", "garbage"]), "127.0.0.10");
});

const DAY = 86_400_000;

Deno.test("chooseReclaim() takes the least recently seen old holder with no live process", () => {
  const now = 100 * DAY;
  const holders = [
    { id: 1, last_seen_at: now - 10 * DAY, alive: true },
    { id: 2, last_seen_at: now - 9 * DAY, alive: false },
    { id: 3, last_seen_at: now - 8 * DAY, alive: false },
    { id: 4, last_seen_at: now - 1 * DAY, alive: false },
  ];
  assert.equal(chooseReclaim(holders, now, 7 * DAY)?.id, 2);
  assert.equal(chooseReclaim(holders, now, 9.5 * DAY), undefined);
  assert.equal(chooseReclaim([], now, 7 * DAY), undefined);
  assert.equal(
    chooseReclaim(holders.slice(0, 1), now, 7 * DAY),
    undefined,
    "a live process is never reclaimed",
  );
});

Deno.test("isStale() needs a dead process and an old heartbeat", () => {
  const now = 1_000_000_000;
  assert.equal(isStale({ id: 1, last_seen_at: now - 31 * 60_000, alive: false }, now, 30 * 60_000), true);
  assert.equal(isStale({ id: 1, last_seen_at: now - 31 * 60_000, alive: true }, now, 30 * 60_000), false);
  assert.equal(isStale({ id: 1, last_seen_at: now - 60_000, alive: false }, now, 30 * 60_000), false);
});

Deno.test("parseDuration() understands units and rejects nonsense", () => {
  assert.equal(parseDuration("7d", "x"), 7 * DAY);
  assert.equal(parseDuration("12h", "x"), 12 * 3_600_000);
  assert.equal(parseDuration("30m", "x"), 1_800_000);
  assert.equal(parseDuration("45", "x"), 45_000);
  assert.equal(parseDuration("500ms", "x"), 500);
  assert.equal(parseDuration("1.5h", "x"), 5_400_000);
  for (const bad of ["", "d", "7 days", "-1d", "1y"]) {
    assert.throws(() => parseDuration(bad, "X"), UsageError);
  }
  assert.equal(formatAge(3 * DAY + 5), "3d");
  assert.equal(formatAge(90_000), "1m");
});

Deno.test("parsePort() accepts 1–65535 only", () => {
  assert.equal(parsePort("4000", "PORT"), 4000);
  for (const bad of ["0", "65536", "abc", "-1", "40.5"]) {
    assert.throws(() => parsePort(bad, "PORT"), UsageError);
  }
});
