/**
 * Framework presets: what a known dev server needs on its command line (or in its environment) to
 * listen on the branch's IP and port and to accept the branch's names. One table, {@link PRESETS};
 * adding a framework is one entry. Pure: words in, words out; placeholders (`{ip}`, `{port}`,
 * `{host}`, `{url}`) stay for `run` to expand.
 */

/** A flag a preset adds unless the user already gave it (under any of its names). */
export interface FlagRule {
  kind: "flag";
  /** Every spelling of the flag (`--host`, `-H`…); the first one is added. */
  names: readonly string[];
  /** The value to add after it (none for a switch such as `--strictPort`). */
  value?: string;
  /** Glue the value with `=` (`--baseURL=…`) instead of a separate word. */
  equals?: boolean;
}

/** A positional argument (Django's `addrport`, http.server's `port`) added when none is given. */
export interface PositionalRule {
  kind: "positional";
  value: string;
  /** Flags whose next word is their value, not a positional. */
  valued: readonly string[];
  /** Only a positional matching this counts as given (http.server's port is a number). */
  counts?: RegExp;
}

/** A variable a preset sets unless the environment already has it. */
export interface EnvRule {
  kind: "env";
  name: string;
  value: string;
}

/** One addition of a preset. */
export type Rule = FlagRule | PositionalRule | EnvRule;

/**
 * A framework's check of the `Host` header: which project files may hold the fix, a test that the
 * fix is there, and the line to add (with `{ip}` `{host}` placeholders).
 */
export interface HostCheck {
  /** Files relative to the project root, the first existing one is read. */
  files: readonly string[];
  /** The fix (or an equivalent) is present in the file's text. */
  fixed: RegExp;
  /** Where the line goes, for the message (`vite.config.*`). */
  where: string;
  /** The exact line(s) to add. */
  line: string;
  /** Why: what the framework does with an unknown name. */
  why: string;
  /** The preset's own additions already let the names through (no message needed). */
  handled?: boolean;
  /** When none of `files` exists: the file to create and its whole text. */
  create?: { file: string; text: string };
}

/** One known dev server. */
export interface Preset {
  /** Stable id (`vite`, `next`, `django`…): tests, `treehouse init`, notices. */
  id: string;
  /** Shown in the banner. */
  name: string;
  /** The program (after launchers such as `npx`, `bundle exec`, `python -m`). */
  tools: readonly string[];
  /** The sub-command that starts the server; `""` allows none. Undefined: any. */
  subcommands?: readonly string[];
  rules: readonly Rule[];
  hostCheck?: HostCheck;
  /** The framework's usual port, for `treehouse init`. */
  port: number;
}

const VITE_CONFIGS = [
  "vite.config.ts",
  "vite.config.js",
  "vite.config.mts",
  "vite.config.mjs",
  "vite.config.cjs",
];

/** Vite checks `Host` (since 6.0.9); this internal variable adds one allowed name without a config edit. */
const VITE_ALLOW: EnvRule = { kind: "env", name: "__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS", value: "{host}" };

const viteHostCheck: HostCheck = {
  files: VITE_CONFIGS,
  fixed: /allowedHosts/,
  where: "vite.config.*",
  line: 'server: { allowedHosts: [".local"] }',
  why: "Vite answers 403 to names it does not know",
  handled: true,
};

/** Vite-style flags: `--host {ip} --port {port} --strictPort`. */
const viteFlags: readonly Rule[] = [
  { kind: "flag", names: ["--host"], value: "{ip}" },
  { kind: "flag", names: ["--port"], value: "{port}" },
  { kind: "flag", names: ["--strictPort", "--strict-port"] },
  VITE_ALLOW,
];

/** Every preset, tried in order. */
export const PRESETS: readonly Preset[] = [
  {
    id: "vite",
    name: "Vite",
    tools: ["vite"],
    subcommands: ["", "dev", "serve", "preview"],
    rules: viteFlags,
    hostCheck: viteHostCheck,
    port: 5173,
  },
  {
    id: "sveltekit",
    name: "SvelteKit",
    tools: ["svelte-kit"],
    subcommands: ["dev", "preview"],
    rules: viteFlags,
    hostCheck: viteHostCheck,
    port: 5173,
  },
  {
    id: "next",
    name: "Next.js",
    tools: ["next"],
    subcommands: ["dev", "start"],
    rules: [
      { kind: "flag", names: ["-H", "--hostname"], value: "{ip}" },
      { kind: "flag", names: ["-p", "--port"], value: "{port}" },
    ],
    hostCheck: {
      files: ["next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"],
      fixed: /allowedDevOrigins/,
      where: "next.config.*",
      line: 'allowedDevOrigins: ["*.local"],',
      why: "Next.js refuses its dev resources and HMR to origins it does not know",
      create: { file: "next.config.mjs", text: 'export default { allowedDevOrigins: ["*.local"] };' },
    },
    port: 3000,
  },
  {
    id: "astro",
    name: "Astro",
    tools: ["astro"],
    subcommands: ["dev", "preview"],
    rules: [
      { kind: "flag", names: ["--host"], value: "{ip}" },
      { kind: "flag", names: ["--port"], value: "{port}" },
      VITE_ALLOW,
    ],
    hostCheck: {
      ...viteHostCheck,
      files: ["astro.config.mjs", "astro.config.ts", "astro.config.js"],
      where: "astro.config.*",
      line: 'vite: { server: { allowedHosts: [".local"] } }',
    },
    port: 4321,
  },
  {
    id: "nuxt",
    name: "Nuxt",
    tools: ["nuxt", "nuxi"],
    subcommands: ["dev", "preview"],
    rules: [
      { kind: "flag", names: ["--host"], value: "{ip}" },
      { kind: "flag", names: ["--port", "-p"], value: "{port}" },
      VITE_ALLOW,
    ],
    hostCheck: {
      ...viteHostCheck,
      files: ["nuxt.config.ts", "nuxt.config.js", "nuxt.config.mjs"],
      where: "nuxt.config.*",
      line: 'vite: { server: { allowedHosts: [".local"] } },',
    },
    port: 3000,
  },
  {
    id: "remix",
    name: "Remix",
    tools: ["remix"],
    subcommands: ["vite:dev", "vite:preview"],
    rules: viteFlags,
    hostCheck: viteHostCheck,
    port: 5173,
  },
  {
    id: "react-router",
    name: "React Router",
    tools: ["react-router"],
    subcommands: ["dev"],
    rules: viteFlags,
    hostCheck: viteHostCheck,
    port: 5173,
  },
  {
    id: "rails",
    name: "Rails",
    tools: ["rails"],
    subcommands: ["server", "s"],
    rules: [
      { kind: "flag", names: ["-b", "--binding"], value: "{ip}" },
      { kind: "flag", names: ["-p", "--port"], value: "{port}" },
    ],
    hostCheck: {
      files: ["config/environments/development.rb"],
      fixed: /config\.hosts\s*(<<|=|\.concat|\.push).*\.local|config\.hosts\s*=\s*nil|config\.hosts\.clear/,
      where: "config/environments/development.rb",
      line: 'config.hosts << ".local"',
      why: "Rails answers “Blocked hosts” to names it does not know",
    },
    port: 3000,
  },
  {
    id: "django",
    name: "Django",
    tools: ["manage.py", "django-admin"],
    subcommands: ["runserver"],
    rules: [{ kind: "positional", value: "{ip}:{port}", valued: ["--settings", "--pythonpath"] }],
    hostCheck: {
      // The real settings module is named in manage.py; settingsFile() finds it.
      files: ["{settings}"],
      fixed: /TREEHOUSE_IP|ALLOWED_HOSTS\s*=\s*\[\s*["']\*["']/,
      where: "settings.py",
      line:
        'ALLOWED_HOSTS = [".local", "localhost", "127.0.0.1", "[::1]", os.environ.get("TREEHOUSE_IP", "127.0.0.1")]  # with: import os',
      why: "Django answers 400 (DisallowedHost) to names and IPs outside ALLOWED_HOSTS, {ip} included",
    },
    port: 8000,
  },
  {
    id: "phoenix",
    name: "Phoenix",
    tools: ["mix"],
    subcommands: ["phx.server"],
    rules: [{ kind: "env", name: "PHX_HOST", value: "{host}" }],
    hostCheck: {
      files: ["config/runtime.exs", "config/dev.exs"],
      fixed: /TREEHOUSE_IP/,
      where: "config/runtime.exs",
      line: [
        "if config_env() == :dev do",
        '  {:ok, ip} = :inet.parse_address(String.to_charlist(System.get_env("TREEHOUSE_IP", "127.0.0.1")))',
        '  config :my_app, MyAppWeb.Endpoint, http: [ip: ip, port: String.to_integer(System.get_env("PORT", "4000"))],',
        '    url: [host: System.get_env("PHX_HOST", "localhost")], check_origin: false',
        "end",
      ].join("\n"),
      why: "Phoenix's dev config listens on 127.0.0.1 until runtime.exs reads TREEHOUSE_IP",
    },
    port: 4000,
  },
  {
    id: "flask",
    name: "Flask",
    tools: ["flask"],
    subcommands: ["run"],
    rules: [
      { kind: "flag", names: ["--host", "-h"], value: "{ip}" },
      { kind: "flag", names: ["--port", "-p"], value: "{port}" },
    ],
    port: 5000,
  },
  {
    id: "uvicorn",
    name: "uvicorn",
    tools: ["uvicorn"],
    rules: [
      { kind: "flag", names: ["--host"], value: "{ip}" },
      { kind: "flag", names: ["--port"], value: "{port}" },
    ],
    port: 8000,
  },
  {
    id: "fastapi",
    name: "FastAPI",
    tools: ["fastapi"],
    subcommands: ["dev", "run"],
    rules: [
      { kind: "flag", names: ["--host"], value: "{ip}" },
      { kind: "flag", names: ["--port"], value: "{port}" },
    ],
    port: 8000,
  },
  {
    id: "hugo",
    name: "Hugo",
    tools: ["hugo"],
    subcommands: ["server", "serve"],
    rules: [
      { kind: "flag", names: ["--bind"], value: "{ip}" },
      { kind: "flag", names: ["--port", "-p"], value: "{port}" },
      // Hugo appends the port to the base URL itself.
      { kind: "flag", names: ["--baseURL", "--baseUrl", "-b"], value: "http://{host}/", equals: true },
    ],
    port: 1313,
  },
  {
    id: "jekyll",
    name: "Jekyll",
    tools: ["jekyll"],
    subcommands: ["serve", "server", "s"],
    rules: [
      { kind: "flag", names: ["--host", "-H"], value: "{ip}" },
      { kind: "flag", names: ["--port", "-P"], value: "{port}" },
    ],
    port: 4000,
  },
  {
    id: "http.server",
    name: "http.server",
    tools: ["http.server"],
    rules: [
      { kind: "flag", names: ["--bind", "-b"], value: "{ip}" },
      {
        kind: "positional",
        value: "{port}",
        valued: ["--bind", "-b", "--directory", "-d", "--protocol", "-p", "--cgi"],
        counts: /^(\d+|\{port\})$/,
      },
    ],
    port: 8000,
  },
];

/** Programs that start another program named by their next word(s). */
const LAUNCHERS: Record<string, readonly string[] | undefined> = {
  npx: [],
  bunx: [],
  pnpx: [],
  pnpm: ["exec", "dlx"],
  npm: ["exec"],
  yarn: ["exec", "dlx"],
  bun: ["x", "run"],
  bundle: ["exec"],
  uv: ["run"],
  poetry: ["run"],
  pipenv: ["run"],
};

/** `pnpm vite`, `yarn next dev`: a package manager running a binary directly. */
const DIRECT_BINARIES: ReadonlySet<string> = new Set(["pnpm", "yarn", "bun"]);

function basename(word: string): string {
  return word.slice(word.lastIndexOf("/") + 1);
}

/** Where the server program is in `words`: its index and its name. */
export interface Located {
  tool: string;
  /** Index of the tool's word in `words`. */
  at: number;
}

/**
 * Finds the program behind launchers: `npx vite`, `pnpm exec vite`, `bundle exec rails s`,
 * `python3 -m http.server`, `python manage.py runserver`, `iex -S mix phx.server`,
 * `deno run -A npm:vite`, `./node_modules/.bin/vite`.
 */
export function locateTool(words: readonly string[]): Located | undefined {
  const toolNames = new Set(PRESETS.flatMap((p) => p.tools));
  let i = 0;
  for (let guard = 0; guard < 4 && i < words.length; guard++) {
    const word = words[i] as string;
    const name = basename(word);
    const launcher = LAUNCHERS[name];
    if (launcher !== undefined) {
      const next = words[i + 1];
      if (launcher.length === 0) {
        i++;
      } else if (next !== undefined && launcher.includes(next)) {
        i += 2;
      } else if (DIRECT_BINARIES.has(name) && next !== undefined && toolNames.has(next)) {
        i++;
      } else return undefined;
      while (i < words.length && (words[i] as string).startsWith("-")) i++;
      continue;
    }
    if (name === "iex" && words[i + 1] === "-S") {
      i += 2;
      continue;
    }
    if (/^python(\d+(\.\d+)*)?$|^py$/.test(name)) {
      i++;
      while (i < words.length && (words[i] as string).startsWith("-") && words[i] !== "-m") i++;
      if (words[i] === "-m") {
        const module = words[i + 1];
        return module === undefined
          ? undefined
          : { tool: module === "django" ? "django-admin" : module, at: i + 1 };
      }
      const script = words[i];
      return script === undefined ? undefined : { tool: basename(script), at: i };
    }
    if (name === "deno" && words[i + 1] === "run") {
      let j = i + 2;
      while (j < words.length && (words[j] as string).startsWith("-")) j++;
      const spec = words[j];
      const npm = spec && /^npm:(@?[^@]+)/.exec(spec);
      if (!npm) return undefined;
      return { tool: basename(npm[1] as string), at: j };
    }
    return { tool: name, at: i };
  }
  return undefined;
}

/** What {@link applyPreset} did. */
export interface PresetResult {
  /** The matched preset (undefined: not a known dev server, the command is unchanged). */
  preset?: Preset;
  /** The command with the additions (placeholders not yet expanded). */
  words: string[];
  /** The added words, for the banner: `["--host {ip}", "--port {port}", "--strictPort"]`. */
  added: string[];
  /** Variables to set (only those not already in the environment). */
  env: Record<string, string>;
}

/** The preset that `words` start, if any, and where its arguments begin. */
export function findPreset(words: readonly string[]): { preset: Preset; argsAt: number } | undefined {
  const located = locateTool(words);
  if (!located) return undefined;
  for (const preset of PRESETS) {
    if (!preset.tools.includes(located.tool)) continue;
    const next = words[located.at + 1];
    if (preset.subcommands === undefined) return { preset, argsAt: located.at + 1 };
    const sub = next === undefined || next.startsWith("-") ? "" : next;
    if (preset.subcommands.includes(sub)) return { preset, argsAt: located.at + (sub === "" ? 1 : 2) };
    // `vite ./site`: a root directory, not a sub-command.
    if (preset.subcommands.includes("") && sub !== "" && /[./]/.test(sub)) {
      return { preset, argsAt: located.at + 1 };
    }
  }
  return undefined;
}

/** True when `args` contain the flag under any of its names (`--port 1`, `--port=1`, `-p1`). */
export function hasFlag(args: readonly string[], names: readonly string[]): boolean {
  const end = args.indexOf("--");
  const own = end < 0 ? args : args.slice(0, end);
  return own.some((arg) =>
    names.some((name) =>
      arg === name || arg.startsWith(`${name}=`) ||
      // A glued short flag: `-p3000`, `-H127.0.0.10`.
      (/^-[A-Za-z]$/.test(name) && arg.startsWith(name) && arg.length > 2 && !arg.startsWith("--"))
    )
  );
}

function hasPositional(args: readonly string[], rule: PositionalRule): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") return false;
    if (arg.startsWith("-")) {
      if (rule.valued.includes(arg)) i++;
      continue;
    }
    if (rule.counts === undefined || rule.counts.test(arg)) return true;
  }
  return false;
}

/**
 * Adds what the command's framework needs, never a flag the user gave. `env` says which variables
 * are already set (the user's, the project's `[run].env`). A command no preset knows comes back
 * unchanged.
 */
export function applyPreset(
  words: readonly string[],
  env: (name: string) => string | undefined = () => undefined,
): PresetResult {
  const found = findPreset(words);
  if (!found) return { words: [...words], added: [], env: {} };
  const { preset, argsAt } = found;
  const args = words.slice(argsAt);
  const extra: string[] = [];
  const added: string[] = [];
  const vars: Record<string, string> = {};
  for (const rule of preset.rules) {
    if (rule.kind === "env") {
      if (env(rule.name) === undefined) vars[rule.name] = rule.value;
      continue;
    }
    if (rule.kind === "positional") {
      if (!hasPositional(args, rule)) {
        extra.push(rule.value);
        added.push(rule.value);
      }
      continue;
    }
    if (hasFlag(args, rule.names)) continue;
    const name = rule.names[0] as string;
    const addition = rule.value === undefined
      ? [name]
      : rule.equals
      ? [`${name}=${rule.value}`]
      : [name, rule.value];
    extra.push(...addition);
    added.push(addition.join(" "));
  }
  // Additions go before a `--` the user put after the server's own arguments.
  const end = words.indexOf("--", argsAt);
  const out = end < 0 ? [...words, ...extra] : [...words.slice(0, end), ...extra, ...words.slice(end)];
  return { preset, words: out, added, env: vars };
}

/** A framework setting to change, with the exact line. */
export interface HostNotice {
  preset: string;
  where: string;
  line: string;
  why: string;
  /** `where` does not exist: create it with `line` as its text. */
  create?: boolean;
}

/**
 * The host-check notice for `preset` given the project's files (`read` returns a file's text
 * relative to the project root, or undefined): none when the fix is there or the preset handles
 * it; else the line to add, with `{ip}` and `{host}` filled in.
 */
export function hostNotice(
  preset: Preset,
  read: (relative: string) => string | undefined,
  values: { ip: string; host: string },
): HostNotice | undefined {
  const check = preset.hostCheck;
  if (!check || check.handled) return undefined;
  let where: string | undefined;
  for (const name of check.files) {
    const file = name === "{settings}" ? djangoSettingsFile(read) : name;
    if (file === undefined) continue;
    const text = read(file);
    if (text === undefined) continue;
    if (check.fixed.test(text)) return undefined;
    where = file;
    break;
  }
  const fill = (s: string) => s.replaceAll("{ip}", values.ip).replaceAll("{host}", values.host);
  if (where === undefined && check.create) {
    return {
      preset: preset.name,
      where: check.create.file,
      line: check.create.text,
      why: fill(check.why),
      create: true,
    };
  }
  return { preset: preset.name, where: where ?? check.where, line: fill(check.line), why: fill(check.why) };
}

/** Django's settings file from `manage.py`'s `DJANGO_SETTINGS_MODULE` default (`mysite.settings`). */
export function djangoSettingsFile(read: (relative: string) => string | undefined): string | undefined {
  const manage = read("manage.py");
  const module = manage && /DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']/.exec(manage)?.[1];
  return module ? `${module.replaceAll(".", "/")}.py` : undefined;
}

/** Package managers that run a `package.json` script: the words before the script's name. */
const SCRIPT_RUNNERS: Record<string, { run: readonly string[]; direct: boolean; separator: boolean }> = {
  npm: { run: ["run", "run-script"], direct: false, separator: true },
  pnpm: { run: ["run"], direct: true, separator: false },
  yarn: { run: ["run"], direct: true, separator: false },
  bun: { run: ["run"], direct: false, separator: false },
};

/**
 * `npm run dev`, `pnpm dev`, `yarn dev`, `bun run dev`, `npm start`: when the script is a known dev
 * server (`"dev": "vite"`), the preset's additions go after the script's name (after `--` for npm),
 * unless the script or the user already has them. `scripts` is package.json's `scripts` table.
 */
export function applyPresetThroughScript(
  words: readonly string[],
  scripts: Record<string, unknown> | undefined,
  env: (name: string) => string | undefined = () => undefined,
): PresetResult {
  const same: PresetResult = { words: [...words], added: [], env: {} };
  const runner = SCRIPT_RUNNERS[basename(words[0] ?? "")];
  if (!runner || !scripts) return same;
  let at: number;
  if (words[1] !== undefined && runner.run.includes(words[1])) at = 2;
  else if (words[1] === "start" || (words[1] === "dev" && runner.direct)) at = 1;
  else if (runner.direct && words[1] !== undefined && typeof scripts[words[1]] === "string") at = 1;
  else return same;
  const name = words[at];
  const script = name === undefined ? undefined : scripts[name];
  if (typeof script !== "string") return same;
  let scriptWords: string[];
  try {
    scriptWords = splitScript(script);
  } catch {
    return same;
  }
  // The user's own arguments for the script: after `--` for npm, straight after the name for the others.
  const rest = words.slice(at + 1);
  const sep = rest.indexOf("--");
  const userArgs = runner.separator ? (sep < 0 ? [] : rest.slice(sep + 1)) : rest.filter((w) => w !== "--");
  if (userArgs.includes("--")) return same;
  const base = [...scriptWords, ...userArgs];
  const applied = applyPreset(base, env);
  if (!applied.preset) return same;
  const extra = applied.words.slice(base.length);
  const out = [...words];
  if (extra.length > 0 && runner.separator && sep < 0) out.push("--");
  out.push(...extra);
  return { preset: applied.preset, words: out, added: applied.added, env: applied.env };
}

/** A script's words, without a shell: only plain scripts (`vite`, `next dev -p 3001`) qualify. */
function splitScript(script: string): string[] {
  const words = script.trim().split(/\s+/);
  if (words.some((w) => /[|&;<>()$`'"\\*?]/.test(w)) || words[0] === "") {
    throw new Error("not a plain script");
  }
  return words;
}
