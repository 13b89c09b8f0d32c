/**
 * The treehouse block of a hosts file: pure text functions. `applyBlock` puts exactly the given
 * entries between two marker lines (replacing an existing block in place, or appending one);
 * `removeBlock` takes it out again so that `removeBlock(applyBlock(x, e)) === x` byte for byte.
 */

import { ipv6NameAddress, isIpv6NameAddress } from "./name-address.ts";

/** First line of the block. */
export const BEGIN_MARKER = "# >>> treehouse: managed by `treehouse hosts`, do not edit >>>";
/** Last line of the block. */
export const END_MARKER = "# <<< treehouse <<<";

/** One `<ip> <host>` line. */
export interface HostsEntry {
  ip: string;
  /** Full name, e.g. `feature-x.local`. */
  host: string;
}

/** Where the block sits in a hosts file (character offsets). */
interface BlockSpan {
  /** Offset of the first character removed with the block (may be the newline before it). */
  start: number;
  /** Offset just past the last character removed. */
  end: number;
  /** The block's own text, from the begin marker to the end marker's line ending (if any). */
  text: string;
}

/**
 * The block's lines for `entries`, sorted by IP then host, without a final newline. Every name has
 * two lines: its IPv4 address and its IPv6 name address (`::ffff:<ip>`), so resolvers asking for
 * AAAA get an answer at once.
 */
export function buildBlock(entries: readonly HostsEntry[]): string {
  const sorted = [...entries].sort((a, b) => ipKey(a.ip) - ipKey(b.ip) || a.host.localeCompare(b.host));
  const lines = sorted.flatMap((e) => [`${e.ip}\t${e.host}`, `${ipv6NameAddress(e.ip)}\t${e.host}`]);
  return [BEGIN_MARKER, ...lines, END_MARKER].join("\n");
}

function ipKey(ip: string): number {
  const parts = ip.split(".").map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p))
    ? ((parts[0]! * 256 + parts[1]!) * 256 + parts[2]!) * 256 + parts[3]!
    : Number.MAX_SAFE_INTEGER;
}

/**
 * Finds the block. A block that ends the file without a final newline was appended to a file that
 * had none, so the newline before it belongs to the block too (removing it restores the file).
 * Throws when a begin marker has no end marker (a hand-damaged block must not be guessed at).
 */
function findBlock(text: string): BlockSpan | undefined {
  const begin = lineStart(text, BEGIN_MARKER);
  if (begin === undefined) return undefined;
  const endLine = lineStart(text, END_MARKER, begin);
  if (endLine === undefined) {
    throw new HostsBlockError(`The treehouse block has a begin marker but no end marker (${END_MARKER})`);
  }
  let end = endLine + END_MARKER.length;
  if (text[end] === "\r") end++;
  let start = begin;
  if (text[end] === "\n") end++;
  else if (start > 0 && text[start - 1] === "\n") start--;
  return { start, end, text: text.slice(begin, end) };
}

function lineStart(text: string, line: string, from = 0): number | undefined {
  let at = from;
  for (;;) {
    const i = text.indexOf(line, at);
    if (i === -1) return undefined;
    const after = text[i + line.length];
    if ((i === 0 || text[i - 1] === "\n") && (after === undefined || after === "\n" || after === "\r")) {
      return i;
    }
    at = i + 1;
  }
}

/** A hosts file whose treehouse block is damaged. */
export class HostsBlockError extends Error {}

/** The entries of the current block (`undefined` when there is no block). */
export function readBlock(text: string): HostsEntry[] | undefined {
  const span = findBlock(text);
  if (!span) return undefined;
  const entries: HostsEntry[] = [];
  for (const line of span.text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [ip, host] = trimmed.split(/\s+/);
    if (ip && host && !isIpv6NameAddress(ip)) entries.push({ ip, host }); // the IPv6 twin of a line
  }
  return entries;
}

/** The file with exactly `entries` in the block: replaced in place, or appended at the end. */
export function applyBlock(text: string, entries: readonly HostsEntry[]): string {
  const block = buildBlock(entries);
  const span = findBlock(text);
  if (span) {
    const removedNewlineBefore = span.start < text.indexOf(BEGIN_MARKER, span.start);
    const endsWithNewline = text[span.end - 1] === "\n";
    return text.slice(0, span.start) + (removedNewlineBefore ? "\n" : "") + block +
      (endsWithNewline ? "\n" : "") + text.slice(span.end);
  }
  if (text === "" || text.endsWith("\n")) return `${text}${block}\n`;
  return `${text}\n${block}`;
}

/** The file without the block (unchanged when there is none). */
export function removeBlock(text: string): string {
  const span = findBlock(text);
  return span ? text.slice(0, span.start) + text.slice(span.end) : text;
}
