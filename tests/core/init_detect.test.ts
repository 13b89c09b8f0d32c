import assert from "node:assert/strict";
import { agentsSnippet, detectProject, renderConfig } from "../../src/core/init-detect.ts";

const from = (files: Record<string, string>) => (f: string) => files[f];

Deno.test("detectProject() finds Vite, Next.js and SvelteKit from package.json", () => {
  const vite = detectProject(from({ "package.json": '{"devDependencies":{"vite":"^7"}}' }));
  assert.deepEqual(vite.services.map((s) => [s.preset, s.command.join(" "), s.port]), [[
    "vite",
    "npx vite",
    5173,
  ]]);
  const next = detectProject(from({ "package.json": '{"dependencies":{"next":"15","react":"19"}}' }));
  assert.equal(next.services[0]?.preset, "next");
  assert.match(next.services[0]?.advice.join("\n") ?? "", /allowedDevOrigins/);
  const kit = detectProject(from({ "package.json": '{"devDependencies":{"@sveltejs/kit":"2","vite":"7"}}' }));
  assert.equal(kit.services[0]?.framework, "SvelteKit (package.json)");
});

Deno.test("detectProject() finds Django with its settings advice and a Vite front end as a second service", () => {
  const detection = detectProject(from({
    "manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site1.settings')",
    "site1/settings.py": "ALLOWED_HOSTS = []",
    "package.json": '{"devDependencies":{"vite":"7"}}',
    "compose.yaml": "services:\n  db:\n    image: postgres:16\n",
  }));
  assert.deepEqual(detection.services.map((s) => [s.name, s.port]), [["default", 8000], ["vite", 5173]]);
  assert.match(detection.services[0]?.advice[0] ?? "", /^site1\/settings\.py: ALLOWED_HOSTS/);
  assert.deepEqual(detection.group.map((m) => [m.tag, m.env]), [["db", "PGPORT"]]);
  const toml = renderConfig(detection);
  assert.match(toml, /^\[run\]\n.*\ncommand = \["python3", "manage.py", "runserver"\]\nport = 8000$/m);
  assert.match(toml, /^\[run\.vite\]$/m);
  assert.match(toml, /^\[group\.db\].*\nenv = "PGPORT"$/m);
});

Deno.test("detectProject() knows Phoenix, Rails, Flask, FastAPI, Go, Hugo and a static site", () => {
  const one = (files: Record<string, string>) => detectProject(from(files)).services[0]?.command.join(" ");
  assert.equal(one({ "mix.exs": '{:phoenix, "~> 1.7"}' }), "mix phx.server");
  assert.equal(one({ Gemfile: 'gem "rails", "~> 7.1"' }), "bin/rails server");
  assert.equal(one({ "requirements.txt": "flask==3" }), "flask run --debug");
  assert.equal(
    one({ "pyproject.toml": 'dependencies = ["fastapi"]', "app.py": "" }),
    "uvicorn app:app --reload",
  );
  assert.equal(one({ "go.mod": "module x" }), "go run .");
  assert.equal(one({ "hugo.toml": "" }), "hugo server");
  assert.equal(one({ "index.html": "<p>" }), "python3 -m http.server");
  assert.deepEqual(detectProject(from({})).services, []);
});

Deno.test("agentsSnippet() says how to start, wait for, restart and stop the server", () => {
  const text = agentsSnippet(detectProject(from({ "package.json": '{"devDependencies":{"vite":"7"}}' })));
  for (
    const word of ["--wait", "treehouse info", "treehouse restart", "treehouse stop", "TREEHOUSE_DB_NAME"]
  ) {
    assert.ok(text.includes(word), word);
  }
  // A `&` job ends with the agent's shell and mixes its output in; --detach outlives it and logs to a file.
  assert.match(text, /`treehouse run --detach`/);
  assert.doesNotMatch(text, /treehouse run[^`]*&`/);
});
