/**
 * How many terminal cells a string takes: East Asian wide and fullwidth characters (and emoji) take
 * two, combining marks and zero-width characters none, everything else one. Enough to line up table
 * columns holding branch names like `日本語`; not a full Unicode width table.
 */

const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f], // Hangul Jamo
  [0x2e80, 0x303e], // CJK radicals, punctuation
  [0x3041, 0x33ff], // kana, CJK symbols
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe30, 0xfe4f], // CJK compatibility forms
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f], // emoji
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd], // CJK extensions B…
];

const ZERO: readonly [number, number][] = [
  [0x0300, 0x036f], // combining diacritical marks
  [0x200b, 0x200f], // zero-width space, joiners, marks
  [0xfe00, 0xfe0f], // variation selectors
];

const within = (ranges: readonly [number, number][], cp: number) =>
  ranges.some(([a, b]) => cp >= a && cp <= b);

/** The number of terminal cells `text` takes. */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x300) width += 1; // ASCII and Latin-1: the common case, no table lookups
    else if (within(ZERO, cp)) continue;
    else width += within(WIDE, cp) ? 2 : 1;
  }
  return width;
}

/** `text` padded with spaces to `width` cells (like `padEnd`, counting cells). */
export function padCells(text: string, width: number): string {
  const missing = width - textWidth(text);
  return missing > 0 ? text + " ".repeat(missing) : text;
}

/**
 * `text` cut to at most `max` cells, ending in `…` when cut (a wide character that would straddle
 * the limit is left out whole).
 */
export function truncateCells(text: string, max: number): string {
  if (textWidth(text) <= max) return text;
  let kept = "";
  let width = 0;
  for (const ch of text) {
    const w = textWidth(ch);
    if (width + w > max - 1) break;
    kept += ch;
    width += w;
  }
  return `${kept}…`;
}
