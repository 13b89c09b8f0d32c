/**
 * Redrawing a terminal view in place without flicker: the cursor goes home, each line overwrites the
 * old one and clears what is left of it, and everything below the new frame is cleared at the end.
 * Nothing is ever blanked first, so the screen never shows an empty frame. Pure.
 */

/** Enter the alternate screen and hide the cursor (the shell's screen comes back on {@link leaveScreen}). */
export const ENTER_SCREEN = "\x1b[?1049h\x1b[?25l";
/** Show the cursor and leave the alternate screen. */
export const LEAVE_SCREEN = "\x1b[?25h\x1b[?1049l";

/** One frame: `lines` cut to `columns` (when known) and drawn over the previous frame. */
export function frame(lines: readonly string[], columns?: number): string {
  const cut = (line: string) => (columns && line.length > columns ? line.slice(0, columns) : line);
  return `\x1b[H${lines.map((l) => `${cut(l)}\x1b[K`).join("\r\n")}\x1b[J`;
}
