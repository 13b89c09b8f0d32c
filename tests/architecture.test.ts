/**
 * The house rules (README "Design"), checked on every `src/` import so the layers stay as built:
 * nothing below `cli` imports `cli`; no import circles; `core` imports only `core` and the error
 * family; only `registry` runs SQL; only the process adapter constructs `Deno.Command`; only the
 * entry point and the CLI context read `Deno.env` and `Deno.build.os`; only `registry` reaches the
 * registry's SQLite connection.
 */
import assert from "node:assert/strict";
import { ROOT } from "./helpers/cli.ts";

/** A file's layer: the folder under src/, or the file itself for the few top-level ones. */
function layerOf(path: string): string {
  if (path === "main.ts") return "entry";
  const m = /^src\/([^/]+)\//.exec(path);
  return m ? m[1] as string : path;
}

/** Every .ts file under `dir`, relative to the repository root. */
function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    for (const entry of Deno.readDirSync(`${ROOT}/${rel}`)) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) found.push(path);
    }
  };
  walk(dir);
  return found.sort();
}

/** The text without comments, so a JSDoc mention is not taken for a use. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Normalizes `dir/../x/./y` into `x/y`. */
function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

/** The repository-relative files `path` imports (static, re-exports and `import()`), relative ones only. */
function importsOf(path: string, text: string): string[] {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  const specs = [...code(text).matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g)].map((m) =>
    m[1] as string
  );
  return specs.filter((s) => s.startsWith(".")).map((s) => normalize(`${dir}/${s}`));
}

const FILES = ["main.ts", ...sourceFiles("src")];
const TEXT = new Map(FILES.map((f) => [f, Deno.readTextFileSync(`${ROOT}/${f}`)]));
const GRAPH = new Map(FILES.map((f) => [f, importsOf(f, TEXT.get(f) as string)]));

/** A broken rule: `file` and what it does. */
type Violation = string;

/**
 * Rules the code still breaks, each to be removed as issue 12's later steps fix it. The test fails on
 * a violation not listed here (a new one) and on a listed one that no longer happens (fixed: take it out).
 */
const KNOWN: readonly Violation[] = [];

/** The module handing out the registry's SQLite connection; see the rule in {@link violations}. */
const CONNECTION_MODULE = "src/registry/connection.ts";

function violations(): Violation[] {
  const found: Violation[] = [];
  for (const [file, targets] of GRAPH) {
    const layer = layerOf(file);
    for (const target of targets) {
      const to = layerOf(target);
      if (to === "cli" && layer !== "cli" && layer !== "entry") found.push(`${file} imports cli: ${target}`);
      if (layer === "core" && to !== "core" && target !== "src/errors.ts") {
        found.push(`${file} (core) imports ${target}`);
      }
    }
    // The registry's connection (Registry keeps it private) is for the registry's own modules.
    if (layer !== "registry" && targets.includes(CONNECTION_MODULE)) {
      found.push(`${file} imports the registry's connection`);
    }
    const text = code(TEXT.get(file) as string);
    if (
      layer !== "registry" &&
      // The PostgreSQL adapter's SQL is the outside server's language (CREATE DATABASE …), not the registry's.
      !file.startsWith("src/adapters/postgres/") &&
      /node:sqlite|\b(SELECT|INSERT INTO|DELETE FROM|BEGIN IMMEDIATE|PRAGMA \w+)\b|\bregistry\.db\.\w|\.db\.(prepare|exec)\(/
        .test(text)
    ) {
      found.push(`${file} runs SQL outside src/registry`);
    }
    if (!file.startsWith("src/adapters/process/") && /\bDeno\.Command\b/.test(text)) {
      found.push(`${file} uses Deno.Command outside src/adapters/process`);
    }
    // The environment adapter is the one reader of Deno.env the entry point hands down as an Env; the OS
    // is read by the runner alone, which hands it down inside the Host (adapters/platform/host.ts).
    const entry = ["main.ts", "src/cli/context.ts", "src/cli/runner.ts"];
    if (![...entry, "src/adapters/env.ts"].includes(file) && text.includes("Deno.env")) {
      found.push(`${file} reads Deno.env`);
    }
    if (!entry.includes(file) && text.includes("Deno.build.os")) found.push(`${file} reads Deno.build.os`);
  }
  return found.sort();
}

/** Keywords after which a `/` starts a regular expression (not a division). */
const BEFORE_REGEX = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "yield",
  "await",
]);

/**
 * Module-level mutable state in a TypeScript file: a `let` or `var` outside every bracket, and a
 * `new Map/Set/WeakMap/WeakSet` outside every bracket unless the declaration is typed `ReadonlySet` or
 * `ReadonlyMap` (a lookup table). A small tokenizer: strings, template literals (with their `${}`),
 * comments and regular expressions are skipped, so code inside a string (the dashboard's browser
 * script) is not taken for the module's.
 */
export function moduleState(text: string): string[] {
  const found: string[] = [];
  let depth = 0; // (), [] and {} of the module's own code
  const templates: number[] = []; // per open `${`: the depth where it started
  let statement = ""; // the top-level statement so far (code only)
  let last = ""; // the last significant token, for telling a regex from a division
  let i = 0;
  const n = text.length;
  const skipTemplate = (): void => {
    // i is just after a backtick or a `}` closing a substitution: read to the closing backtick or `${`.
    while (i < n) {
      const c = text[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        last = "`";
        return;
      } else if (c === "$" && text[i + 1] === "{") {
        i += 2;
        templates.push(depth);
        depth++;
        last = "{";
        return;
      } else i++;
    }
  };
  while (i < n) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      while (i < n && text[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && text[i] !== c) i += text[i] === "\\" ? 2 : 1;
      i++;
      last = "str";
    } else if (c === "`") {
      i++;
      skipTemplate();
    } else if (
      c === "/" && (last === "" || /^[(,=:[!&|?{};+\-*%<>~^]$/.test(last) || BEFORE_REGEX.has(last))
    ) {
      i++;
      let inClass = false;
      while (i < n) {
        const r = text[i];
        if (r === "\\") i++;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
        else if (r === "\n") break;
        i++;
      }
      i++;
      while (i < n && /[a-z]/.test(text[i] as string)) i++;
      last = "regex";
    } else if (/[A-Za-z_$#]/.test(c)) {
      let j = i;
      while (j < n && /[\w$#]/.test(text[j] as string)) j++;
      const word = text.slice(i, j);
      if (depth === 0) {
        statement += ` ${word}`;
        if ((word === "let" || word === "var") && last !== ".") {
          found.push(`${word} ${/\s*([\w$]+)/.exec(text.slice(j))?.[1] ?? ""}`);
        }
        if (
          last === "new" && /^(Map|Set|WeakMap|WeakSet)$/.test(word) &&
          !/\bReadonly(Set|Map)\b/.test(statement)
        ) {
          found.push(`new ${word}`);
        }
      }
      last = word;
      i = j;
    } else {
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") {
        if (c === "}" && templates.length > 0 && templates[templates.length - 1] === depth - 1) {
          templates.pop();
          depth--;
          i++;
          skipTemplate();
          continue;
        }
        depth--;
      }
      if (depth === 0) {
        if (c === ";" || c === "}") statement = "";
        else if (!/\s/.test(c)) statement += c;
      }
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  return found;
}

/** The import circles: strongly connected components of more than one file (or a self-import). */
function circles(): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of GRAPH.get(v) ?? []) {
      if (!GRAPH.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (GRAPH.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const file of FILES) if (!idx.has(file)) visit(file);
  return found;
}

Deno.test("every relative import in src/ names a file that exists", () => {
  const missing = [...GRAPH].flatMap(([file, targets]) =>
    targets.filter((t) => !TEXT.has(t)).map((t) => `${file} → ${t}`)
  );
  assert.deepEqual(missing, []);
});

Deno.test("src/ has no import circles", () => {
  assert.deepEqual(circles(), []);
});

Deno.test("src/ keeps the layer rules (no new violation, and every known one still listed is real)", () => {
  const found = violations();
  assert.deepEqual(found.filter((v) => !KNOWN.includes(v)), [], "new violations of the layer rules");
  assert.deepEqual(KNOWN.filter((v) => !found.includes(v)), [], "fixed: remove these from KNOWN");
});

Deno.test("the rule checker sees a forbidden edge (it is not vacuous)", () => {
  assert.deepEqual(importsOf("src/core/x.ts", 'import { a } from "../cli/output.ts";'), [
    "src/cli/output.ts",
  ]);
  assert.equal(layerOf("src/core/x.ts"), "core");
  assert.ok(GRAPH.size > 50, "the source tree was found");
});

Deno.test("src/ keeps no module-level mutable state (no top-level let, no top-level Map/Set that is not read-only)", () => {
  const found = FILES.flatMap((f) => moduleState(TEXT.get(f) as string).map((what) => `${f}: ${what}`));
  assert.deepEqual(found, []);
});

Deno.test("the module-state checker sees top-level state and skips strings, templates, regexes and blocks", () => {
  assert.deepEqual(moduleState("let a = 1;\nconst b = new Map();\nexport let c;"), [
    "let a",
    "new Map",
    "let c",
  ]);
  assert.deepEqual(moduleState("const s: ReadonlySet<string> = new Set(['a']);"), []);
  assert.deepEqual(moduleState("function f() { let x = new Map(); }\nclass C { #m = new Map(); }"), []);
  assert.deepEqual(moduleState("const js = `\nlet skew = 0;\nconst m = new Map(${'x'});\n`;"), []);
  assert.deepEqual(moduleState("const r = /[\\/`'\"]/g;\nlet after = 1;"), ["let after"]);
  assert.deepEqual(moduleState("const q = a / b; let z = `${ {a: 1}.a }`;"), ["let z"]);
});
