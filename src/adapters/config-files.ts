/**
 * Configuration files: finding them (walking up from a directory, plus the user's XDG file) and
 * reading them. The parsing and checking lives in config-parse.ts, which loads the TOML parser: a
 * {@link Config}, built once per command, holds it when a file applies (or always, `eager`), so
 * `treehouse ip` without configuration files does not pay for it.
 */
import { ConfigError } from "../errors.ts";
import { statOrUndefined } from "./paths.ts";
import type { Env } from "../registry/path.ts";
import { NO_TRUST, type Trust } from "../core/trust.ts";
import type { ConfigFile } from "./config-parse.ts";

export type { ConfigFile, GroupConfig, GroupMember } from "./config-parse.ts";

export { LOCAL_FILE, PROJECT_FILE } from "../core/config-schema.ts";
import { LOCAL_FILE, PROJECT_FILE } from "../core/config-schema.ts";

/** A project file found walking up. */
export interface FoundFile {
  path: string;
  kind: "project" | "local";
}

type Parser = typeof import("./config-parse.ts");

/**
 * One command's view of the configuration: its environment, the parser (loaded when needed) and
 * what it already found and computed. Built once per command ({@link prepareConfig}) and passed down;
 * nothing of it outlives the command.
 */
export class Config {
  /** Project files per start directory (asked more than once per command). */
  private readonly found: Map<string, FoundFile[]>;
  /** Values computed from the files, per key (the settings per directory). */
  readonly memo = new Map<string, unknown>();

  /** Files already warned about as not safe (one warning per file and command). */
  private readonly warned: Set<string>;
  /** Where a warning line goes (stderr). */
  readonly warn: (text: string) => void;

  constructor(readonly env: Env, readonly parser?: Parser, found?: Config, warn?: (text: string) => void) {
    this.found = new Map(found?.found);
    this.warned = found?.warned ?? new Set();
    this.warn = warn ?? found?.warn ?? writeWarning;
  }

  /**
   * Project files from `start` up to `/`, nearest first, without those someone else could have
   * written ({@link unsafeReason}: each is named once in a warning). Only stats, no reads.
   */
  projectFiles(start: string): FoundFile[] {
    let found = this.found.get(start);
    if (!found) {
      const me = Deno.uid();
      found = searchProjectFiles(start).filter((f) => {
        const why = unsafeReason(f.path, me);
        if (why === undefined) return true;
        if (!this.warned.has(f.path)) {
          this.warned.add(f.path);
          this.warn(
            `ignoring ${f.path}: ${why}. If you trust it, copy it into a file you own (in a directory others cannot write)`,
          );
        }
        return false;
      });
      this.found.set(start, found);
    }
    return found;
  }

  /** Reads and checks a file; undefined when it does not exist (see {@link readConfigFile}). */
  read(path: string, kind: ConfigFile["kind"], trust: Trust = NO_TRUST): ConfigFile | undefined {
    return readConfigFile(this, path, kind, trust);
  }
}

/**
 * The command's {@link Config}: with the parser when `eager`, or when any configuration file applies
 * to `cwd` (the lazy hot paths).
 */
export async function prepareConfig(
  env: Env,
  cwd: string,
  eager = false,
  warn?: (text: string) => void,
): Promise<Config> {
  const probe = new Config(env, undefined, undefined, warn);
  const user = userConfigPath(env);
  if (!eager && probe.projectFiles(cwd).length === 0 && (user === undefined || !isFile(user))) return probe;
  return new Config(env, await import("./config-parse.ts"), probe);
}

/** The user's file: `$XDG_CONFIG_HOME/treehouse/config.toml` or `~/.config/treehouse/config.toml`. */
export function userConfigPath(env: Env): string | undefined {
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg) return `${xdg.replace(/\/+$/, "")}/treehouse/config.toml`;
  const home = env("HOME");
  return home ? `${home}/.config/treehouse/config.toml` : undefined;
}

function searchProjectFiles(start: string): FoundFile[] {
  const found: FoundFile[] = [];
  let dir = start.replace(/\/+$/, "") || "/";
  for (;;) {
    const base = dir === "/" ? "" : dir;
    for (const [name, kind] of [[LOCAL_FILE, "local"], [PROJECT_FILE, "project"]] as const) {
      if (isFile(`${base}/${name}`)) found.push({ path: `${base}/${name}`, kind });
    }
    if (dir === "/") return found;
    const i = dir.lastIndexOf("/");
    dir = i <= 0 ? "/" : dir.slice(0, i);
  }
}

function writeWarning(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`warning: ${text}\n`));
}

/**
 * Why a project or local file must not apply, like git's safe.directory: it (or the symlink naming
 * it) is owned by neither `me` nor root, or it sits in a directory others may write to and is not
 * owned by `me` (someone could have put it there). Undefined when it is safe, or where files have
 * no owners (`me` null).
 */
export function unsafeReason(path: string, me: number | null): string | undefined {
  if (me === null) return undefined;
  let link: Deno.FileInfo, target: Deno.FileInfo, dir: Deno.FileInfo;
  try {
    link = Deno.lstatSync(path);
    target = link.isSymlink ? Deno.statSync(path) : link;
    dir = Deno.statSync(path.slice(0, path.lastIndexOf("/")) || "/");
  } catch {
    return undefined; // gone meanwhile: reading it will say so (or find nothing)
  }
  for (const info of [link, target]) {
    if (info.uid !== null && info.uid !== me && info.uid !== 0) {
      return `it is owned by uid ${info.uid}, not by you (uid ${me}) or root`;
    }
  }
  const othersWrite = ((dir.mode ?? 0) & 0o002) !== 0;
  if (othersWrite && (link.uid !== me || target.uid !== me)) {
    return `its directory is writable by others and the file is not yours (uid ${me})`;
  }
  return undefined;
}

function isFile(path: string): boolean {
  return statOrUndefined(path)?.isFile ?? false;
}

/**
 * Reads and checks a file; undefined when it does not exist. A project or local file is held to the
 * limits of `trust` (default: none lifted).
 */
export function readConfigFile(
  config: Config,
  path: string,
  kind: ConfigFile["kind"],
  trust: Trust = NO_TRUST,
): ConfigFile | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ConfigError(`Cannot read the configuration file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!config.parser) {
    throw new Error("internal: the TOML parser was not loaded (prepareConfig found no file)");
  }
  return config.parser.parseConfigText(text, path, kind, trust);
}
