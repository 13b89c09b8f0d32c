/** How to name this program in a command a user should copy (e.g. under sudo, where PATH changes). */
import { shellQuote } from "../core/quote.ts";

/** Shell words that run this treehouse: the compiled binary's path, or `"$(command -v treehouse)"`. */
export function selfCommand(execPath: string = Deno.execPath()): string {
  const name = execPath.slice(execPath.lastIndexOf("/") + 1);
  if (name === "deno" || name === "deno.exe") return `"$(command -v treehouse)"`;
  return /^[\w./+-]+$/.test(execPath) ? execPath : shellQuote(execPath);
}

/** `sudo <treehouse> --db <registry> <args…>`: root's HOME differs, so the registry is named. */
export function sudoCommand(registryPath: string, args: readonly string[]): string {
  const quote = (w: string) => (/^[\w./:=@+-]+$/.test(w) ? w : shellQuote(w));
  return ["sudo", selfCommand(), "--db", quote(registryPath), ...args.map(quote)].join(" ");
}
