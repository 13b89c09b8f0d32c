/** Durations such as `7d`, `12h`, `30m`, `45s`, `500ms` (also a plain number of seconds). */
import { UsageError } from "../errors.ts";

/** One day in milliseconds (`--days N` and the `d` unit). */
export const DAY_MS = 86_400_000;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: DAY_MS,
  w: 604_800_000,
};

/** Parses a duration into milliseconds; `source` names where it came from in the error. */
export function parseDuration(text: string, source: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!match) {
    throw new UsageError(`Invalid duration in ${source}: "${text}"`, {
      hint: "Use a number with a unit: 500ms, 45s, 30m, 12h, 7d or 2w",
    });
  }
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? "s"] ?? 1000));
}

/** Formats milliseconds compactly for humans: `3d`, `5h`, `12m`, `40s`. */
export function formatAge(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 60_000) return `${Math.floor(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h`;
  return `${Math.floor(ms / 86_400_000)}d`;
}

/** Formats milliseconds back to the largest exact unit: `7d`, `90s`, `500ms` (what {@link parseDuration} reads). */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
