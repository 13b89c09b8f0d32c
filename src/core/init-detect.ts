/**
 * `treehouse init`'s decisions: which frameworks a project uses (from the text of a few well-known
 * files), the `treehouse.toml` to write, the settings to change and the AGENTS.md snippet. Pure: the
 * caller reads the files ({@link INIT_FILES}) and passes their text.
 */
import { hostNotice, PRESETS } from "./presets.ts";

/** The files `init` looks at, relative to the project root. */
export const INIT_FILES = [
  "package.json",
  "deno.json",
  "deno.jsonc",
  "mix.exs",
  "Gemfile",
  "manage.py",
  "pyproject.toml",
  "requirements.txt",
  "main.py",
  "app.py",
  "go.mod",
  "hugo.toml",
  "hugo.yaml",
  "_config.yml",
  "index.html",
  "docker-compose.yml",
  "docker-compose.yaml",
  "compose.yml",
  "compose.yaml",
  "config/runtime.exs",
  "config/environments/development.rb",
  "next.config.js",
  "next.config.mjs",
  "next.config.ts",
] as const;

/** One server `init` found. */
export interface DetectedService {
  /** `default` for the main server, else a service name (`vite`, `api`). */
  name: string;
  /** What was recognised, for the summary (`Next.js (package.json)`). */
  framework: string;
  /** The preset that will apply to the command, when one does. */
  preset?: string;
  command: string[];
  port: number;
  /** What to change in the project so the branch's IP and names work. */
  advice: string[];
}

/** A port reservation for something that cannot bind the branch's IP (a database in Docker). */
export interface DetectedGroupMember {
  tag: string;
  env: string;
  /** Why it was added. */
  reason: string;
}

/** What `init` found. */
export interface Detection {
  services: DetectedService[];
  group: DetectedGroupMember[];
  /** Databases the app's dependencies name (they use TREEHOUSE_DB_NAME). */
  databases: string[];
}

type Read = (relative: string) => string | undefined;

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

function packageJson(read: Read): PackageJson | undefined {
  const text = read("package.json");
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null ? value as PackageJson : undefined;
  } catch {
    return undefined;
  }
}

/** JavaScript frameworks by package, most specific first: [package, framework, preset, command]. */
const JS_FRAMEWORKS: readonly [string, string, string, string[]][] = [
  ["next", "Next.js", "next", ["npx", "next", "dev"]],
  ["nuxt", "Nuxt", "nuxt", ["npx", "nuxt", "dev"]],
  ["astro", "Astro", "astro", ["npx", "astro", "dev"]],
  ["@sveltejs/kit", "SvelteKit", "vite", ["npx", "vite", "dev"]],
  ["@react-router/dev", "React Router", "react-router", ["npx", "react-router", "dev"]],
  ["@remix-run/dev", "Remix", "remix", ["npx", "remix", "vite:dev"]],
  ["vite", "Vite", "vite", ["npx", "vite"]],
];

function presetPort(id: string): number {
  return PRESETS.find((p) => p.id === id)?.port ?? 4000;
}

/** The advice of a preset's host check, in terms of the project's files (`{ip}` = TREEHOUSE_IP). */
function advice(presetId: string, read: Read): string[] {
  const preset = PRESETS.find((p) => p.id === presetId);
  if (!preset) return [];
  const notice = hostNotice(preset, read, { ip: "the branch IP", host: "<branch>.local" });
  return notice ? [`${notice.create ? `create ${notice.where} with` : notice.where}: ${notice.line}`] : [];
}

function jsService(read: Read): DetectedService | undefined {
  const pkg = packageJson(read);
  if (!pkg) return undefined;
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  for (const [name, framework, preset, command] of JS_FRAMEWORKS) {
    if (name in deps) {
      return {
        name: "default",
        framework: `${framework} (package.json)`,
        preset,
        command,
        port: presetPort(preset),
        advice: advice(preset, read),
      };
    }
  }
  const script = pkg.scripts?.dev !== undefined
    ? "dev"
    : pkg.scripts?.start !== undefined
    ? "start"
    : undefined;
  if (!script) return undefined;
  return {
    name: "default",
    framework: `Node (package.json scripts.${script})`,
    command: script === "start" ? ["npm", "start"] : ["npm", "run", "dev"],
    port: 4000,
    advice: ["the server: listen on process.env.HOST and process.env.PORT (treehouse sets both)"],
  };
}

/** Detects the project's servers, databases and port reservations from its files. */
export function detectProject(read: Read): Detection {
  const services: DetectedService[] = [];
  const databases = new Set<string>();
  const mix = read("mix.exs");
  const gemfile = read("Gemfile");
  const python = [read("pyproject.toml"), read("requirements.txt")].filter((t) => t !== undefined).join("\n");
  const backend = (s: DetectedService) => services.push(s);

  if (mix !== undefined && /:phoenix\b/.test(mix)) {
    backend({
      name: "default",
      framework: "Phoenix (mix.exs)",
      preset: "phoenix",
      command: ["mix", "phx.server"],
      port: 4000,
      advice: advice("phoenix", read),
    });
  }
  if (mix !== undefined && /:postgrex\b/.test(mix)) databases.add("PostgreSQL");
  if (gemfile !== undefined && /^\s*gem\s+["']rails["']/m.test(gemfile)) {
    backend({
      name: "default",
      framework: "Rails (Gemfile)",
      preset: "rails",
      command: ["bin/rails", "server"],
      port: 3000,
      advice: advice("rails", read),
    });
    if (/^\s*gem\s+["']vite_rails["']/m.test(gemfile)) {
      services.push({
        name: "vite",
        framework: "Vite Ruby (Gemfile)",
        command: ["bin/vite", "dev"],
        port: 3036,
        advice: [],
      });
    }
  } else if (gemfile !== undefined && /^\s*gem\s+["']jekyll["']/m.test(gemfile)) {
    backend({
      name: "default",
      framework: "Jekyll (Gemfile)",
      preset: "jekyll",
      command: ["bundle", "exec", "jekyll", "serve"],
      port: 4000,
      advice: [],
    });
  }
  if (gemfile !== undefined && /^\s*gem\s+["']pg["']/m.test(gemfile)) databases.add("PostgreSQL");
  if (read("manage.py") !== undefined) {
    backend({
      name: "default",
      framework: "Django (manage.py)",
      preset: "django",
      command: ["python3", "manage.py", "runserver"],
      port: 8000,
      advice: [
        ...advice("django", read),
        'the database: "NAME": os.environ.get("TREEHOUSE_DB_NAME", "…") for a database per branch',
      ],
    });
  } else if (/\bfastapi\b/i.test(python)) {
    const module = read("main.py") !== undefined ? "main" : read("app.py") !== undefined ? "app" : "main";
    backend({
      name: "default",
      framework: "FastAPI (pyproject.toml/requirements.txt)",
      preset: "uvicorn",
      command: ["uvicorn", `${module}:app`, "--reload"],
      port: 8000,
      advice: [],
    });
  } else if (/\bflask\b/i.test(python)) {
    backend({
      name: "default",
      framework: "Flask (pyproject.toml/requirements.txt)",
      preset: "flask",
      command: ["flask", "run", "--debug"],
      port: 5000,
      advice: [],
    });
  }
  if (/\bpsycopg|asyncpg\b/i.test(python)) databases.add("PostgreSQL");
  if (read("go.mod") !== undefined && services.length === 0) {
    backend({
      name: "default",
      framework: "Go (go.mod)",
      command: ["go", "run", "."],
      port: 4000,
      advice: ['the server: listen on os.Getenv("HOST") + ":" + os.Getenv("PORT") (treehouse sets both)'],
    });
  }
  if ((read("hugo.toml") !== undefined || read("hugo.yaml") !== undefined) && services.length === 0) {
    backend({
      name: "default",
      framework: "Hugo",
      preset: "hugo",
      command: ["hugo", "server"],
      port: 1313,
      advice: [],
    });
  }
  const deno = read("deno.json") ?? read("deno.jsonc");
  if (deno !== undefined && /"tasks"\s*:\s*\{[^}]*"dev"\s*:/s.test(deno) && services.length === 0) {
    backend({
      name: "default",
      framework: "Deno (deno.json tasks.dev)",
      command: ["deno", "task", "dev"],
      port: 4000,
      advice: [
        "the server: Deno.serve({ hostname, port }) with the HOST and PORT variables (treehouse sets both)",
      ],
    });
  }
  // A JavaScript front end: the main server, or a second one next to a back end.
  const js = jsService(read);
  if (js) {
    if (services.length === 0) services.push(js);
    else if (js.preset !== undefined && !services.some((s) => s.name === "vite")) {
      services.push({ ...js, name: js.preset === "vite" ? "vite" : "web" });
    }
  }
  const pkg = packageJson(read);
  const deps = { ...pkg?.dependencies, ...pkg?.devDependencies };
  if ("pg" in deps || "postgres" in deps || "@prisma/client" in deps) databases.add("PostgreSQL");
  if (services.length === 0 && read("index.html") !== undefined) {
    services.push({
      name: "default",
      framework: "static site (index.html)",
      preset: "http.server",
      command: ["python3", "-m", "http.server"],
      port: 8000,
      advice: [],
    });
  }
  return { services: distinctPorts(services), group: composeGroup(read), databases: [...databases] };
}

/** Two services of one branch share its IP: give a later one the next free port. */
function distinctPorts(services: DetectedService[]): DetectedService[] {
  const used = new Set<number>();
  return services.map((s) => {
    let port = s.port;
    while (used.has(port)) port++;
    used.add(port);
    return port === s.port ? s : { ...s, port };
  });
}

/** Databases in a Compose file cannot bind the branch's IP: reserve them a port each. */
function composeGroup(read: Read): DetectedGroupMember[] {
  const file = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"].find((f) =>
    read(f) !== undefined
  );
  const text = file === undefined ? undefined : read(file);
  if (text === undefined || file === undefined) return [];
  const members: DetectedGroupMember[] = [];
  const images: [RegExp, string, string][] = [
    [/image:\s*["']?(postgres|postgis)/i, "db", "PGPORT"],
    [/image:\s*["']?(mysql|mariadb)/i, "mysql", "MYSQL_PORT"],
    [/image:\s*["']?(redis|valkey)/i, "redis", "REDIS_PORT"],
  ];
  for (const [re, tag, env] of images) {
    if (re.test(text)) members.push({ tag, env, reason: `${file} runs ${re.exec(text)?.[1]}` });
  }
  return members;
}

function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** The `treehouse.toml` text for a detection. */
export function renderConfig(detection: Detection): string {
  const lines = ["# treehouse.toml, written by `treehouse init`: `treehouse run` starts [run]", ""];
  for (const s of detection.services) {
    lines.push(s.name === "default" ? "[run]" : `[run.${s.name}]`);
    lines.push(
      `# ${s.framework}${s.preset ? ": treehouse adds the flags to listen on the branch's IP and port" : ""}`,
    );
    lines.push(`command = [${s.command.map(tomlString).join(", ")}]`);
    lines.push(`port = ${s.port}`);
    lines.push("");
  }
  if (detection.group.length > 0) {
    lines.push("# Ports reserved per checkout, passed to `treehouse run`'s command (and `treehouse env`)");
    lines.push("[group]");
    for (const m of detection.group) {
      lines.push(`[group.${m.tag}]  # ${m.reason}`);
      lines.push(`env = ${tomlString(m.env)}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** The AGENTS.md section `init` offers. */
export const AGENTS_MARKER = "<!-- treehouse -->";

/** How an agent starts, waits for, restarts and stops the branch's server. */
export function agentsSnippet(detection: Detection): string {
  const others = detection.services.filter((s) => s.name !== "default").map((s) => s.name);
  return [
    AGENTS_MARKER,
    "## Dev server (treehouse)",
    "",
    "Each git branch/worktree has its own IP, hostname, port and database name; never hard-code localhost:PORT.",
    "",
    "- Start: `treehouse run --detach` (the project's [run] command, in the background; prints the URL once it" +
    " answers; the user agrees to the command once with a plain `treehouse run` on a terminal)" +
    (others.length
      ? `; other servers: ${others.map((n) => `\`treehouse run ${n} --detach\``).join(", ")}`
      : ""),
    "- Wait until it answers: `treehouse status --wait` (or start with `treehouse run --ready '{url}/'`)",
    '- Where it is: `treehouse info` (URL, IP, port); variables: `eval "$(treehouse env)"`',
    "- Output: `treehouse logs`; restart: `treehouse restart`; stop: `treehouse stop`",
    "- Database: use `$TREEHOUSE_DB_NAME`, not a fixed name",
    "",
  ].join("\n");
}
