import assert from "node:assert/strict";
import {
  applyPreset,
  applyPresetThroughScript,
  djangoSettingsFile,
  findPreset,
  hasFlag,
  hostNotice,
  PRESETS,
} from "../../src/core/presets.ts";

const words = (line: string) => line.split(" ");
const apply = (line: string) => applyPreset(words(line)).words.join(" ");

Deno.test("applyPreset() adds Vite's listen flags after npx vite", () => {
  const result = applyPreset(words("npx vite"));
  assert.equal(result.preset?.id, "vite");
  assert.deepEqual(result.words, words("npx vite --host {ip} --port {port} --strictPort"));
  assert.deepEqual(result.added, ["--host {ip}", "--port {port}", "--strictPort"]);
  assert.equal(result.env.__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS, "{host}");
});

Deno.test("applyPreset() never doubles a flag the user gave, in any spelling", () => {
  assert.equal(apply("npx vite --host 127.0.0.1"), "npx vite --host 127.0.0.1 --port {port} --strictPort");
  assert.equal(apply("npx vite --port=3000 --strict-port"), "npx vite --port=3000 --strict-port --host {ip}");
  assert.equal(apply("npx next dev -p3001"), "npx next dev -p3001 -H {ip}");
  assert.equal(apply("npx next dev --hostname 0.0.0.0 --port 3"), "npx next dev --hostname 0.0.0.0 --port 3");
  assert.equal(apply("bin/rails s --binding=0.0.0.0"), "bin/rails s --binding=0.0.0.0 -p {port}");
  for (const preset of PRESETS) {
    for (const rule of preset.rules) {
      if (rule.kind !== "flag") continue;
      for (const name of rule.names) {
        const given: string[] = rule.value === undefined ? [name] : [name, "X"];
        const tool = preset.tools[0] as string;
        const sub: string[] = [preset.subcommands?.find((s) => s !== "")].filter((s): s is string =>
          s !== undefined
        );
        const line: string[] = [tool, ...sub, ...given];
        const out: string[] = applyPreset(line).words;
        assert.equal(
          out.filter((w) => rule.names.some((n) => w === n || w.startsWith(`${n}=`))).length,
          1,
          `${preset.id} ${name}`,
        );
      }
    }
  }
});

Deno.test("applyPreset() knows the launchers in front of a server", () => {
  for (
    const line of [
      "vite",
      "npx -y vite",
      "pnpm exec vite",
      "pnpm vite",
      "yarn vite dev",
      "bunx vite",
      "./node_modules/.bin/vite",
      "deno run -A npm:vite",
      "deno run -A npm:vite@7",
    ]
  ) {
    assert.equal(findPreset(words(line))?.preset.id, "vite", line);
  }
  assert.equal(findPreset(words("bundle exec rails server"))?.preset.id, "rails");
  assert.equal(findPreset(words("iex -S mix phx.server"))?.preset.id, "phoenix");
  assert.equal(findPreset(words("python3 -m uvicorn app:app"))?.preset.id, "uvicorn");
  assert.equal(findPreset(words("uv run fastapi dev main.py"))?.preset.id, "fastapi");
  assert.equal(findPreset(words("python -m flask run"))?.preset.id, "flask");
  assert.equal(findPreset(words("npx astro dev"))?.preset.id, "astro");
  assert.equal(findPreset(words("npx nuxi dev"))?.preset.id, "nuxt");
  assert.equal(findPreset(words("npx remix vite:dev"))?.preset.id, "remix");
  assert.equal(findPreset(words("npx react-router dev"))?.preset.id, "react-router");
  assert.equal(findPreset(words("hugo server"))?.preset.id, "hugo");
  assert.equal(findPreset(words("bundle exec jekyll serve"))?.preset.id, "jekyll");
});

Deno.test("applyPreset() leaves other commands alone", () => {
  for (
    const line of [
      "node server.js",
      "npx next build",
      "mix test",
      "bin/rails console",
      "npm run dev",
      "vite build",
    ]
  ) {
    const result = applyPreset(words(line));
    assert.equal(result.preset, undefined, line);
    assert.deepEqual(result.words, words(line));
  }
});

Deno.test("applyPreset() adds Django's addrport only when none is given", () => {
  assert.equal(apply("python manage.py runserver"), "python manage.py runserver {ip}:{port}");
  assert.equal(apply("./manage.py runserver --noreload"), "./manage.py runserver --noreload {ip}:{port}");
  assert.equal(apply("python3 manage.py runserver 8001"), "python3 manage.py runserver 8001");
  assert.equal(
    apply("python3 manage.py runserver --settings x.y"),
    "python3 manage.py runserver --settings x.y {ip}:{port}",
  );
});

Deno.test("applyPreset() gives http.server its port and address", () => {
  assert.equal(apply("python3 -m http.server"), "python3 -m http.server --bind {ip} {port}");
  assert.equal(apply("python3 -m http.server 9000"), "python3 -m http.server 9000 --bind {ip}");
  assert.equal(
    apply("python3 -m http.server -d public"),
    "python3 -m http.server -d public --bind {ip} {port}",
  );
  assert.equal(
    apply("python3 -m http.server --bind 127.0.0.1"),
    "python3 -m http.server --bind 127.0.0.1 {port}",
  );
});

Deno.test("applyPreset() sets Phoenix's PHX_HOST unless it is set", () => {
  assert.deepEqual(applyPreset(words("mix phx.server")).env, { PHX_HOST: "{host}" });
  assert.deepEqual(applyPreset(words("mix phx.server"), (n) => n === "PHX_HOST" ? "x" : undefined).env, {});
});

Deno.test("applyPreset() puts its flags before a -- of the server's own", () => {
  assert.equal(apply("npx vite -- extra"), "npx vite --host {ip} --port {port} --strictPort -- extra");
  assert.equal(hasFlag(words("vite -- --host"), ["--host"]), false);
});

Deno.test("hostNotice() names the line to add unless the project's file has it", () => {
  const next = PRESETS.find((p) => p.id === "next")!;
  const values = { ip: "127.0.0.12", host: "feat.local" };
  const notice = hostNotice(next, (f) => f === "next.config.mjs" ? "export default {}" : undefined, values);
  assert.equal(notice?.where, "next.config.mjs");
  assert.match(notice!.line, /allowedDevOrigins/);
  assert.equal(hostNotice(next, () => "const c = { allowedDevOrigins: ['*.local'] }", values), undefined);
  const vite = PRESETS.find((p) => p.id === "vite")!;
  assert.equal(hostNotice(vite, () => undefined, values), undefined, "the preset's variable handles Vite");
});

Deno.test("hostNotice() finds Django's settings module from manage.py and names the branch IP", () => {
  const files: Record<string, string> = {
    "manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')",
    "mysite/settings.py": "ALLOWED_HOSTS = []\n",
  };
  const read = (f: string) => files[f];
  assert.equal(djangoSettingsFile(read), "mysite/settings.py");
  const django = PRESETS.find((p) => p.id === "django")!;
  const notice = hostNotice(django, read, { ip: "127.0.0.12", host: "feat.local" });
  assert.equal(notice?.where, "mysite/settings.py");
  assert.match(notice!.why, /127\.0\.0\.12/);
  files["mysite/settings.py"] = 'ALLOWED_HOSTS = [".local", os.environ.get("TREEHOUSE_IP", "127.0.0.1")]';
  assert.equal(hostNotice(django, read, { ip: "127.0.0.12", host: "feat.local" }), undefined);
});

Deno.test("applyPresetThroughScript() adds a script's server flags after npm run's --, or straight for pnpm and yarn", () => {
  const scripts = {
    dev: "vite",
    start: "next start -p 4000",
    web: "astro dev --host 0.0.0.0",
    build: "vite build",
    both: "a && b",
  };
  const through = (line: string) => applyPresetThroughScript(words(line), scripts).words.join(" ");
  assert.equal(through("npm run dev"), "npm run dev -- --host {ip} --port {port} --strictPort");
  assert.equal(through("npm run dev -- --port 3"), "npm run dev -- --port 3 --host {ip} --strictPort");
  assert.equal(through("pnpm dev"), "pnpm dev --host {ip} --port {port} --strictPort");
  assert.equal(
    through("yarn run dev --host 1.2.3.4"),
    "yarn run dev --host 1.2.3.4 --port {port} --strictPort",
  );
  assert.equal(through("npm start"), "npm start -- -H {ip}", "the script's own -p stays");
  assert.equal(through("pnpm web"), "pnpm web --port {port}", "the script's --host is the user's");
  assert.equal(applyPresetThroughScript(words("npm run dev"), scripts).preset?.id, "vite");
  for (const line of ["npm run build", "npm run both", "npm run missing", "npm install", "pnpm build"]) {
    assert.equal(applyPresetThroughScript(words(line), scripts).preset, undefined, line);
    assert.equal(through(line), line);
  }
  assert.equal(
    through("npm run dev"),
    applyPresetThroughScript(words("npm run dev"), undefined).words.join(" ") +
      " -- --host {ip} --port {port} --strictPort",
  );
});
