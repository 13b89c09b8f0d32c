import assert from "node:assert/strict";
import fc from "fast-check";
import {
  canonicalize,
  isInside,
  normalizeLexical,
  normalizePath,
  relation,
} from "../../src/adapters/paths.ts";
import { chooseGroupPorts, choosePort, scanRange } from "../../src/core/port-choice.ts";
import { compactSpans, inSpans, parseSpan, parseSpanList } from "../../src/core/spans.ts";
import { parseLsof, portOwnersOf } from "../../src/core/lsof.ts";
import { tempDir } from "../helpers/cli.ts";

const segment = fc.oneof(
  fc.constantFrom(".", "..", "", "~", "a", "b", "dir", "with space", "ünï", "x.y"),
  fc.stringMatching(/^[a-z0-9._-]{1,8}$/),
);
const rawPath = fc.array(segment, { maxLength: 8 }).map((parts) => parts.join("/"));
const absPath = fc.array(fc.stringMatching(/^[a-z0-9]{1,4}$/), { maxLength: 6 }).map((p) =>
  `/${p.join("/")}`
);

Deno.test("normalizeLexical() is idempotent and always absolute without . or .. parts", () => {
  fc.assert(fc.property(rawPath, fc.boolean(), (p, absolute) => {
    const input = absolute ? `/${p}` : p;
    const once = normalizeLexical(input, "/work/cwd", "/home/u");
    assert.equal(normalizeLexical(once, "/elsewhere", "/other"), once);
    assert.ok(once.startsWith("/"));
    assert.ok(once === "/" || !once.endsWith("/"));
    assert.ok(!once.split("/").some((s) => s === "." || s === ".."));
  }));
});

Deno.test("normalizeLexical() expands ~ and resolves relative paths against the working directory", () => {
  assert.equal(normalizeLexical("~", "/cwd", "/home/u"), "/home/u");
  assert.equal(normalizeLexical("~/src/app/", "/cwd", "/home/u"), "/home/u/src/app");
  assert.equal(normalizeLexical("../x//./y", "/cwd/sub", "/home/u"), "/cwd/x/y");
  assert.equal(normalizeLexical("/../..", "/cwd", undefined), "/");
});

Deno.test("relation() tells same, ancestor, descendant and unrelated paths apart", () => {
  fc.assert(fc.property(absPath, absPath, (a, b) => {
    const r = relation(a, b);
    const back = relation(b, a);
    const flipped = { same: "same", ancestor: "descendant", descendant: "ancestor", unrelated: "unrelated" };
    assert.equal(back, flipped[r]);
    if (r === "same") assert.equal(a, b);
    if (r === "ancestor") assert.ok(isInside(b, a) && b.length > a.length);
  }));
  fc.assert(fc.property(absPath, fc.stringMatching(/^[a-z]{1,4}$/), (a, child) => {
    const below = a === "/" ? `/${child}` : `${a}/${child}`;
    assert.equal(relation(a, below), "ancestor");
    assert.equal(relation(below, a), "descendant");
    // A sibling that merely shares a prefix is unrelated: /a/bc is not inside /a/b.
    assert.equal(relation(`${below}x`, below), "unrelated");
  }));
});

Deno.test("canonicalize() gives a symlinked path and its real path the same key, existing or not", async () => {
  const tmp = await tempDir();
  try {
    await Deno.mkdir(`${tmp.path}/real/deep`, { recursive: true });
    await Deno.symlink(`${tmp.path}/real`, `${tmp.path}/link`);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.stringMatching(/^[a-z]{1,5}$/), { maxLength: 3 }), async (tail) => {
        const suffix = tail.length ? `/${tail.join("/")}` : "";
        const viaLink = normalizePath(`link/deep${suffix}`, tmp.path);
        const viaReal = normalizePath(`${tmp.path}/real/deep${suffix}`, "/");
        assert.equal(viaLink, viaReal);
        assert.equal(canonicalize(viaLink), viaLink);
        await Promise.resolve();
      }),
    );
    assert.equal(normalizePath(`${tmp.path}/link/not/yet/there`, "/"), `${tmp.path}/real/not/yet/there`);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("choosePort() prefers the preferred port, then scans forward and wraps around the range", () => {
  const range = { first: 5000, last: 5004 };
  assert.equal(choosePort(range, () => true, 5002), 5002);
  assert.equal(choosePort(range, (p) => p !== 5002, 5002), 5003);
  assert.equal(choosePort(range, (p) => p < 5002, 5003), 5000);
  assert.equal(choosePort(range, () => false), undefined);
  fc.assert(
    fc.property(
      fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      fc.option(fc.integer({ min: 4990, max: 5010 }), { nil: undefined }),
      (free, preferred) => {
        const isFree = (p: number) => free[p - 5000] ?? false;
        const got = choosePort(range, isFree, preferred);
        if (free.some(Boolean)) assert.ok(got !== undefined && isFree(got));
        else assert.equal(got, undefined);
      },
    ),
  );
});

Deno.test("chooseGroupPorts() keeps held ports, fits offsets on one base and never repeats a port", () => {
  const range = { first: 6000, last: 6009 };
  const got = chooseGroupPorts(
    [{ tag: "web", offset: 0 }, { tag: "api", offset: 1 }, { tag: "db", existing: 6005 }],
    range,
    (p) => p !== 6001,
    6000,
  );
  assert.deepEqual(Object.fromEntries(got!), { db: 6005, web: 6002, api: 6003 });
  fc.assert(fc.property(
    fc.array(fc.record({ offset: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }), {
      maxLength: 8,
    }),
    fc.func(fc.boolean()),
    (members, freeFn) => {
      const slots = members.map((m, i) => ({ tag: `t${i}`, offset: m.offset }));
      const isFree = (p: number) => freeFn(p);
      const ports = chooseGroupPorts(slots, range, isFree, 6000);
      if (ports === undefined) return;
      const values = [...ports.values()];
      assert.equal(new Set(values).size, values.length);
      assert.equal(values.length, slots.length);
      for (const p of values) assert.ok(p >= 6000 && p <= 6009 && isFree(p));
    },
  ));
});

Deno.test("compactSpans() merges overlapping and adjacent ranges without changing membership", () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 5 }))),
    (pairs) => {
      const spans = pairs.map(([a, n]) => ({ first: a, last: a + n }));
      const merged = compactSpans(spans);
      for (let p = 1; p <= 70; p++) assert.equal(inSpans(p, merged), inSpans(p, spans));
      for (let i = 1; i < merged.length; i++) assert.ok(merged[i]!.first > merged[i - 1]!.last + 1);
      assert.deepEqual(compactSpans(merged), merged);
    },
  ));
  assert.deepEqual(parseSpan("6000-6010"), { first: 6000, last: 6010 });
  assert.equal(parseSpan("6010-6000"), undefined);
  assert.equal(parseSpan("70000"), undefined);
  assert.deepEqual(parseSpanList("5432, 6000-6001"), [{ first: 5432, last: 5432 }, {
    first: 6000,
    last: 6001,
  }]);
});

Deno.test("scanRange() finds the same port as a plain scan when it jumps over reserved blocks", () => {
  const range = { first: 100, last: 139 };
  fc.assert(fc.property(
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    fc.option(fc.integer({ min: 95, max: 145 }), { nil: undefined }),
    (reserved, busy, preferred) => {
      const isReserved = (p: number) => reserved[p - 100] ?? false;
      const isBusy = (p: number) => busy[p - 100] ?? false;
      const next = (from: number, last: number) => {
        for (let p = from; p <= last; p++) if (!isReserved(p)) return p;
        return undefined;
      };
      const plain = choosePort(range, (p) => p !== preferred && !isReserved(p) && !isBusy(p), preferred);
      assert.equal(scanRange(range, next, (p) => !isBusy(p), preferred), plain);
    },
  ));
});

Deno.test("chooseGroupPorts() jumping over reserved blocks picks exactly what the plain search picks", () => {
  const range = { first: 200, last: 239 };
  fc.assert(fc.property(
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
    fc.option(fc.integer({ min: 195, max: 245 }), { nil: undefined }),
    (reserved, busy, offsets, base) => {
      const isReserved = (p: number) => reserved[p - 200] ?? false;
      const isFree = (p: number) => !isReserved(p) && !(busy[p - 200] ?? false);
      const next = (from: number, last: number) => {
        for (let p = from; p <= last; p++) if (!isReserved(p)) return p;
        return undefined;
      };
      const slots = offsets.map((offset, i) => ({ tag: `s${i}`, offset }));
      const plain = chooseGroupPorts(slots, range, isFree, base);
      const jumping = chooseGroupPorts(slots, range, isFree, base, next);
      assert.deepEqual(jumping && Object.fromEntries(jumping), plain && Object.fromEntries(plain));
    },
  ));
});

Deno.test("parseLsof() and portOwnersOf() name each process holding a port once per protocol and family", () => {
  const text =
    "p101\ncnode\ntIPv4\nPTCP\nn127.0.0.1:5000\ntIPv6\nPTCP\nn[::1]:5000\ntIPv6\nPTCP\nn[::]:5000\n" +
    "p202\ncdnsmasq\ntIPv4\nPUDP\nn*:5000\n";
  assert.deepEqual(portOwnersOf(parseLsof(text)), [
    { pid: 101, command: "node", protocol: "tcp/ipv4" },
    { pid: 101, command: "node", protocol: "tcp/ipv6" },
    { pid: 202, command: "dnsmasq", protocol: "udp/ipv4" },
  ]);
  assert.deepEqual(portOwnersOf(parseLsof("")), []);
});
