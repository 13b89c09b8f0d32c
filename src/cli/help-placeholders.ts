/**
 * The FLAGS table of every command's help shows a flag as users type it, `[--branch NAME]`, as the
 * usage line does (stricli's table shows `[--branch]`, leaving the value out).
 */

interface FlagDef {
  kind: string;
  placeholder?: string;
  values?: readonly string[];
}

interface HelpTarget {
  parameters?: { flags?: Record<string, FlagDef> };
  formatHelp?: (a: never) => string;
  getAllEntries?: () => readonly { target: HelpTarget }[];
}

/** The value word of each flag that takes one, by its name as typed (`ready-timeout`). */
function valueWords(flags: Record<string, FlagDef>): Map<string, string> {
  const words = new Map<string, string>();
  for (const [name, flag] of Object.entries(flags)) {
    const typed = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (flag.kind === "parsed") words.set(typed, flag.placeholder ?? "VALUE");
    if (flag.kind === "enum") words.set(typed, flag.placeholder ?? (flag.values ?? []).join("|"));
  }
  return words;
}

/**
 * Adds the value words to the FLAGS rows of `help`, widening the flag column for all rows alike
 * (so the descriptions and the choices column stay aligned). Text it does not recognise is returned
 * unchanged.
 */
export function withValueWords(help: string, flags: Record<string, FlagDef>): string {
  const words = valueWords(flags);
  const lines = help.split("\n");
  const start = lines.indexOf("FLAGS");
  if (start < 0 || words.size === 0) return help;
  let end = start + 1;
  while (end < lines.length && lines[end] !== "") end++;
  const rows = lines.slice(start + 1, end);
  // The description column: where the first row's flag column (and its padding) ends.
  const first = /^(.*?--[a-z][\w-]*(?:\/--[\w-]+)?\]?)( {2,})\S/.exec(rows[0] ?? "");
  if (!first) return help;
  const column = (first[1]?.length ?? 0) + (first[2]?.length ?? 0);
  if (rows.some((r) => r.length > column && r.slice(column - 2, column) !== "  ")) return help;
  const lefts = rows.map((row) => {
    const left = row.slice(0, column).trimEnd();
    return left.replace(/--([a-z][\w-]*)(\]?)$/, (all, name: string, close: string) => {
      const word = words.get(name);
      return word ? `--${name} ${word}${close}` : all;
    });
  });
  const width = Math.max(...lefts.map((l) => l.length)) + 2;
  const fixed = rows.map((row, i) =>
    row.length > column ? (lefts[i] ?? "").padEnd(width) + row.slice(column) : row
  );
  return [...lines.slice(0, start + 1), ...fixed, ...lines.slice(end)].join("\n");
}

/** Wraps the help of every command under `root` with {@link withValueWords}. */
export function addValueWords(root: unknown): void {
  const walk = (target: HelpTarget) => {
    for (const entry of target.getAllEntries?.() ?? []) {
      const t = entry.target;
      if (t.getAllEntries) {
        walk(t);
        continue;
      }
      const flags = t.parameters?.flags;
      const help = t.formatHelp;
      if (!flags || !help) continue;
      Object.assign(t, { formatHelp: (a: never) => withValueWords(help.call(t, a), flags) });
    }
  };
  walk(root as HelpTarget);
}
