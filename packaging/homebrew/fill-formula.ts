/**
 * Fills packaging/homebrew/treehouse.rb with a release's version, owner and checksums.
 *
 *   deno run --allow-read packaging/homebrew/fill-formula.ts --version 0.2.0 --owner me \
 *     --sums dist/SHA256SUMS > treehouse.rb
 *
 * Fails (exit 2, nothing printed on stdout) when a target's checksum is missing or malformed.
 */

/** The release targets the formula needs, in the order of the formula. */
export const TARGETS = ["aarch64-apple-darwin", "x86_64-apple-darwin", "x86_64-unknown-linux-gnu"] as const;

/** Parses `sha256sum` output (`<hex>  <file>` or `<hex> *<file>`) into file → checksum. */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([0-9a-fA-F]+)\s+\*?(\S+)\s*$/.exec(line.trim());
    if (match) sums.set(match[2]!.replace(/^.*\//, ""), match[1]!.toLowerCase());
  }
  return sums;
}

/** The formula with every placeholder replaced; throws naming what is missing or invalid. */
export function fillFormula(
  template: string,
  release: { version: string; owner: string; sums: Map<string, string> },
): string {
  const version = release.version.replace(/^v/, "");
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`Invalid version: "${release.version}"`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(release.owner)) throw new Error(`Invalid owner: "${release.owner}"`);
  let text = template.replaceAll("@VERSION@", version).replaceAll("@OWNER@", release.owner);
  for (const target of TARGETS) {
    const sum = release.sums.get(`treehouse-${target}`);
    if (sum === undefined) throw new Error(`SHA256SUMS has no line for treehouse-${target}`);
    if (!/^[0-9a-f]{64}$/.test(sum)) throw new Error(`Invalid SHA-256 for treehouse-${target}: "${sum}"`);
    text = text.replaceAll(`@SHA256_${target.toUpperCase().replaceAll("-", "_")}@`, sum);
  }
  const left = /@[A-Z0-9_]+@/.exec(text);
  if (left) throw new Error(`Unfilled placeholder ${left[0]} in the template`);
  return text;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

if (import.meta.main) {
  const args = Deno.args;
  const version = flag(args, "version");
  const owner = flag(args, "owner");
  const sumsFile = flag(args, "sums");
  const template = flag(args, "template") ?? new URL("./treehouse.rb", import.meta.url).pathname;
  const encoder = new TextEncoder();
  if (!version || !owner || !sumsFile) {
    Deno.stderr.writeSync(
      encoder.encode(
        "usage: fill-formula.ts --version X.Y.Z --owner OWNER --sums SHA256SUMS [--template FILE]\n",
      ),
    );
    Deno.exit(2);
  }
  try {
    const filled = fillFormula(Deno.readTextFileSync(template), {
      version,
      owner,
      sums: parseSums(Deno.readTextFileSync(sumsFile)),
    });
    Deno.stdout.writeSync(encoder.encode(filled));
  } catch (error) {
    Deno.stderr.writeSync(encoder.encode(`fill-formula: ${(error as Error).message}\n`));
    Deno.exit(2);
  }
}
