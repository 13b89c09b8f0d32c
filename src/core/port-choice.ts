/**
 * Choosing ports (pure): the preferred port if free, else a forward scan through the range that
 * wraps around once; for a group, one base where every offset fits, else member by member.
 */
import type { PortSpan } from "./spans.ts";

/** Answers whether a port may be handed out now (not reserved, not excluded, not occupied). */
export type IsFree = (port: number) => boolean;

/** Ports to try, in order: `preferred` (if given), then the range from `preferred` forward, wrapping. */
export function* candidates(range: PortSpan, preferred?: number): Generator<number> {
  if (preferred !== undefined) yield preferred;
  const start = preferred !== undefined && preferred >= range.first && preferred <= range.last
    ? preferred + 1
    : range.first;
  for (let p = start; p <= range.last; p++) yield p;
  for (let p = range.first; p < start && p <= range.last; p++) {
    if (p !== preferred) yield p;
  }
}

/** The first free candidate, or undefined when the range is exhausted. */
export function choosePort(range: PortSpan, isFree: IsFree, preferred?: number): number | undefined {
  for (const p of candidates(range, preferred)) if (isFree(p)) return p;
  return undefined;
}

/**
 * Like {@link choosePort} without the preferred port itself, for large registries: `next(p, last)`
 * jumps to the first port in `[p, last]` no reservation holds (or undefined), so a block of 10,000
 * reserved ports costs one index walk instead of 10,000 look-ups; `accept` checks the rest.
 */
export function scanRange(
  range: PortSpan,
  next: (from: number, last: number) => number | undefined,
  accept: IsFree,
  preferred?: number,
): number | undefined {
  const inRange = preferred !== undefined && preferred >= range.first && preferred <= range.last;
  const segments = inRange
    ? [{ first: (preferred as number) + 1, last: range.last }, {
      first: range.first,
      last: (preferred as number) - 1,
    }]
    : [range];
  for (const seg of segments) {
    let p = seg.first;
    while (p <= seg.last) {
      const q = next(p, seg.last);
      if (q === undefined) break;
      if (accept(q)) return q;
      p = q + 1;
    }
  }
  return undefined;
}

/** One member of a group as the chooser sees it. */
export interface GroupSlot {
  tag: string;
  /** The port it already holds (kept). */
  existing?: number;
  offset?: number;
  port?: number;
}

/**
 * Ports for every slot, or undefined when the range cannot hold them all. Slots already holding a
 * port keep it. Offset slots first look for one base where all of them fit (so `web` and `api` stay
 * `base` and `base+1`); whatever does not fit is chosen one by one. Never returns a port twice.
 */
export function chooseGroupPorts(
  slots: readonly GroupSlot[],
  range: PortSpan,
  isFree: IsFree,
  base?: number,
  next?: (from: number, last: number) => number | undefined,
): Map<string, number> | undefined {
  const chosen = new Map<string, number>();
  const used = new Set<number>();
  const free = (p: number) => p >= 1 && p <= 65535 && !used.has(p) && isFree(p);
  const take = (tag: string, p: number) => {
    chosen.set(tag, p);
    used.add(p);
  };
  for (const s of slots) if (s.existing !== undefined) take(s.tag, s.existing);
  // Two services with the same offset cannot share the base: the second is placed on its own below.
  const seenOffsets = new Set<number>();
  const offsetSlots = slots.filter((s) => {
    if (s.existing !== undefined || s.offset === undefined || seenOffsets.has(s.offset)) return false;
    seenOffsets.add(s.offset);
    return true;
  });
  if (offsetSlots.length > 0) {
    const b = findBase(offsetSlots.map((s) => s.offset as number), range, free, base, next);
    if (b !== undefined) { for (const s of offsetSlots) take(s.tag, b + (s.offset as number)); }
  }
  for (const s of slots) {
    if (chosen.has(s.tag)) continue;
    const preferred = s.port ?? (s.offset !== undefined ? (base ?? range.first) + s.offset : undefined);
    const p = choosePort(range, free, preferred);
    if (p === undefined) return undefined;
    take(s.tag, p);
  }
  return chosen;
}

/**
 * The first base (from `preferred`, wrapping once) where `base + offset` is free for every offset.
 * With `next` (first unreserved port from a port on), a reserved member port skips every base that
 * would put that member inside the same reserved block.
 */
function findBase(
  offsets: number[],
  range: PortSpan,
  free: IsFree,
  preferred?: number,
  next?: (from: number, last: number) => number | undefined,
): number | undefined {
  const fit = { first: range.first, last: range.last - Math.max(...offsets) };
  // An explicit base outside the range is honoured when it fits.
  if (preferred !== undefined && (preferred < fit.first || preferred > fit.last)) {
    if (offsets.every((off) => free(preferred + off))) return preferred;
  }
  if (fit.last < fit.first) return undefined;
  const segments = preferred !== undefined && preferred >= fit.first && preferred <= fit.last
    ? [{ first: preferred, last: fit.last }, { first: fit.first, last: preferred - 1 }]
    : [fit];
  for (const seg of segments) {
    let b = seg.first;
    while (b <= seg.last) {
      let skipTo = b + 1;
      let fits = true;
      for (const off of offsets) {
        const p = b + off;
        if (free(p)) continue;
        fits = false;
        const n = next?.(p, range.last);
        skipTo = Math.max(skipTo, n === undefined ? (next ? Infinity : b + 1) : n - off);
        break;
      }
      if (fits) return b;
      b = skipTo;
    }
  }
  return undefined;
}
