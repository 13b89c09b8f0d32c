/** Output helpers: tables, colour, safe quoting for shells and dotenv files, JSON. */
import { padCells, textWidth, truncateCells } from "../core/text-width.ts";
import type { AppContext } from "./context.ts";

import { dotenvQuote, fishQuote, shellQuote } from "../core/quote.ts";

export { dotenvQuote, fishQuote, shellQuote };

/** Writes data to stdout. */
export function out(ctx: AppContext, text: string): void {
  ctx.process.stdout.write(text);
}

/** Writes a message to stderr. */
export function say(ctx: AppContext, text: string): void {
  ctx.process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** Writes a warning line to stderr (yellow on a TTY). */
export function warn(ctx: AppContext, text: string): void {
  say(ctx, paint(ctx.color, "33", `warning: ${text}`));
}

/** Wraps text in an ANSI colour when enabled. */
export function paint(enabled: boolean, code: string, text: string): string {
  return enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Pretty JSON with a final newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The widest branch and hostname cell in a table (terminal cells): longer names end in `…` so that
 * one long branch does not push every row past the screen; `--json` has them whole.
 */
export const NAME_COLUMN_MAX = 40;

/** A branch or hostname for a table cell, cut to {@link NAME_COLUMN_MAX} cells. */
export function nameCell(text: string): string {
  return truncateCells(text, NAME_COLUMN_MAX);
}

/** Formats rows as aligned columns; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  // Cells, not UTF-16 units: a branch named 日本語 takes six columns, not three.
  const widths = header.map((h, i) => Math.max(textWidth(h), ...rows.map((r) => textWidth(r[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : padCells(c, widths[i] ?? 0))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** Formats epoch milliseconds as local `YYYY-MM-DD HH:MM`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }`;
}

/** Variables as shell `export` lines, fish `set -gx` lines or dotenv lines, every value quoted safely. */
export function renderVariables(vars: Record<string, string>, format: "shell" | "fish" | "dotenv"): string {
  const entries = Object.entries(vars);
  switch (format) {
    case "shell":
      return entries.map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join("");
    case "fish":
      return entries.map(([k, v]) => `set -gx ${k} ${fishQuote(v)}\n`).join("");
    case "dotenv":
      return entries.map(([k, v]) => `${k}=${dotenvQuote(v)}\n`).join("");
  }
}
