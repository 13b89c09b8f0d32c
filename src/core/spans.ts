/** Port ranges: parsing `5000`, `6000-6010`, lists of them, merging and membership. Pure. */

/** An inclusive port range. */
export interface PortSpan {
  first: number;
  last: number;
}

const isPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;

/** Parses `N` or `A-B` (1 ≤ A ≤ B ≤ 65535); undefined when invalid. */
export function parseSpan(text: string): PortSpan | undefined {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (!isPort(first) || !isPort(last) || first > last) return undefined;
  return { first, last };
}

/** Parses a comma- or space-separated list of spans; undefined when any item is invalid. */
export function parseSpanList(text: string): PortSpan[] | undefined {
  const items = text.split(/[,\s]+/).filter((s) => s !== "");
  const spans: PortSpan[] = [];
  for (const item of items) {
    const span = parseSpan(item);
    if (!span) return undefined;
    spans.push(span);
  }
  return spans;
}

/** Sorts and merges overlapping or adjacent spans: the smallest equivalent list. */
export function compactSpans(spans: readonly PortSpan[]): PortSpan[] {
  const sorted = [...spans].sort((a, b) => a.first - b.first || a.last - b.last);
  const out: PortSpan[] = [];
  for (const s of sorted) {
    const prev = out[out.length - 1];
    if (prev && s.first <= prev.last + 1) prev.last = Math.max(prev.last, s.last);
    else out.push({ ...s });
  }
  return out;
}

/** Formats spans as `5432, 6000-6010`. */
export function formatSpans(spans: readonly PortSpan[]): string {
  return spans.map((s) => (s.first === s.last ? String(s.first) : `${s.first}-${s.last}`)).join(", ");
}

/** Whether `port` lies in any of `spans`. */
export function inSpans(port: number, spans: readonly PortSpan[]): boolean {
  for (const s of spans) if (port >= s.first && port <= s.last) return true;
  return false;
}

/** Number of ports covered by a span. */
export function spanSize(s: PortSpan): number {
  return s.last - s.first + 1;
}
