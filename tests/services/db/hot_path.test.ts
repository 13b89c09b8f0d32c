/**
 * `treehouse run` with the database feature on: the modules its start loads (the static import
 * closure of the entry, the runner's fast path and the run command) hold no npm package and no Node
 * module beyond node:sqlite. The PostgreSQL client, the create service and git come in with a dynamic
 * `import()` only when a database must be created; the registry answers "it exists" without them.
 */
import assert from "node:assert/strict";
import { ROOT } from "../../helpers/cli.ts";

/** The text without comments, so a JSDoc mention is not taken for an import. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** What `file` imports statically (type-only imports are erased; `import()` is loaded later if at all). */
function staticImports(file: string): string[] {
  const text = code(Deno.readTextFileSync(`${ROOT}/${file}`));
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/gms)) {
    if (m[2] === undefined) specs.push(m[4] as string);
  }
  for (const m of text.matchAll(/^\s*import\s+["']([^"']+)["']/gm)) specs.push(m[1] as string);
  return specs;
}

function resolve(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of spec.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** Every module reached from `roots` through static imports, and the outside specifiers among them. */
function closure(roots: string[]): { files: Set<string>; outside: Map<string, string> } {
  const files = new Set<string>();
  const outside = new Map<string, string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) todo.push(resolve(file, spec));
      else if (!outside.has(spec)) outside.set(spec, file);
    }
  }
  return { files, outside };
}

Deno.test("run's start with a recorded branch database loads no npm package and no Node module but node:sqlite", () => {
  // main.ts → runner (fast path) → guard + the run command: what a plain `treehouse run --db clone` loads.
  const { files, outside } = closure([
    "main.ts",
    "src/cli/runner.ts",
    "src/cli/guard.ts",
    "src/cli/commands/run.ts",
  ]);
  assert.ok(files.has("src/services/db/ensure.ts"), "the database collaborator is part of run's start");
  assert.ok(files.has("src/registry/databases.ts"));
  for (
    const lazy of ["src/adapters/postgres/client.ts", "src/services/db/create.ts", "src/services/db/base.ts"]
  ) {
    assert.ok(!files.has(lazy), `${lazy} is loaded only when a database must be created`);
  }
  const loaded = [...outside].filter(([spec]) => spec !== "node:sqlite").map(([spec, by]) =>
    `${spec} (${by})`
  );
  assert.deepEqual(loaded, []);
});
