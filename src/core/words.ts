/**
 * Splitting a command written as one string (`command = "npx vite --port {port}"` in
 * treehouse.toml) into words, the way a shell would for plain words and quotes, but without a
 * shell: no variables, globs, pipes or `&&`. Pure.
 */

/** Why a command string cannot be split. */
export class SplitError extends Error {}

/** Characters that mean the command needs a shell. */
const SHELL_ONLY = /[|&;<>()$`*?]/;

/**
 * Splits `text` into words: whitespace separates, `'…'` keeps everything, `"…"` keeps everything
 * but `\"` and `\\`, a backslash outside quotes escapes the next character. Unquoted shell syntax
 * (`|`, `&&`, `;`, `>`, `$VAR`, globs) is an error naming it.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new SplitError("an unclosed ' quote");
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && (text[j + 1] === '"' || text[j + 1] === "\\")) j++;
        word += text[j];
      }
      if (j >= text.length) throw new SplitError('an unclosed " quote');
      inWord = true;
      i = j;
    } else if (c === "\\") {
      if (i + 1 < text.length) word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (SHELL_ONLY.test(c)) {
      throw new SplitError(`shell syntax ${JSON.stringify(c)} (treehouse runs the command without a shell)`);
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
