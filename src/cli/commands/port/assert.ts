/**
 * Script helpers: `assert-reservation`, `assert-port`, `assert-data-dir` (exit 0 or 15),
 * `show-data-dir`, `show-path`, `validate FILE`, `init`. A failed assertion exits 15.
 */
import { userConfigPath } from "../../../adapters/config-files.ts";
import { trustFor } from "../../../services/settings.ts";
import { ExitCode, NotFoundError } from "../../../errors.ts";
import { normalizeLexical } from "../../../adapters/paths.ts";
import {
  dataDirFailure,
  initRegistry,
  portFailure,
  reservationFailure,
} from "../../../services/reserve/assert.ts";
import { registryPath } from "../../../registry/path.ts";
import type { AppContext } from "../../context.ts";
import { out, say, warn } from "../../output.ts";
import { multiLabelWarning } from "../../../core/hostname-template.ts";
import { keyPath, tagOf } from "./common.ts";

/** A failed assertion: its reason on stderr, exit 15 (not 1, which means a bug). */
function fail(ctx: AppContext, message: string | undefined): void {
  if (message === undefined) return;
  say(ctx, message);
  ctx.exitCode = ExitCode.assertionFailed;
}

function dbPath(ctx: AppContext): string {
  return registryPath(ctx.dbFlag, ctx.env);
}

/** Flags of `assert-reservation`. */
export interface AssertFlags {
  readonly path?: string;
  readonly tag?: string;
  readonly port?: number;
}

/** `assert-reservation`: exit 0 when (path, tag) is reserved (on `--port`, if given), else 15. */
export default function assertReservation(this: AppContext, flags: AssertFlags): void {
  fail(this, reservationFailure(dbPath(this), keyPath(this, flags.path), tagOf(flags.tag), flags.port));
}

/** `assert-port PORT`: exit 0 when PORT is reserved (by `--path`/`--tag`, if given), else 15. */
export function assertPort(this: AppContext, flags: Omit<AssertFlags, "port">, port: number): void {
  const holder = flags.path !== undefined || flags.tag !== undefined
    ? { path: keyPath(this, flags.path), tag: tagOf(flags.tag) }
    : undefined;
  fail(this, portFailure(dbPath(this), port, holder));
}

/** `assert-data-dir [--validate]`: exit 0 when the registry exists (and, validated, is sound). */
export function assertDataDir(this: AppContext, flags: { readonly validate?: boolean }): void {
  fail(this, dataDirFailure(dbPath(this), flags.validate ?? false));
}

/** `show-data-dir`: the directory holding the registry. */
export function showDataDir(this: AppContext): void {
  const path = dbPath(this);
  out(this, `${path.slice(0, path.lastIndexOf("/")) || "/"}\n`);
}

/** `show-path [--path P]`: the key path a reservation would use (normalized, symlinks followed). */
export function showPath(this: AppContext, flags: { readonly path?: string }): void {
  out(this, `${keyPath(this, flags.path)}\n`);
}

/** `validate FILE`: checks a configuration file (exit 8 with file, line and key when invalid). */
export function validate(this: AppContext, _flags: Record<string, never>, file: string): void {
  const path = normalizeLexical(file, this.cwd, this.env("HOME"));
  const kind = path === userConfigPath(this.env)
    ? "user"
    : path.endsWith("/treehouse.local.toml")
    ? "local"
    : "project";
  const config = this.config.read(path, kind, trustFor(this.config));
  if (!config) throw new NotFoundError(`No such file: ${path}`);
  const keys = Object.keys(config.values).length + (config.group ? 1 : 0);
  const template = config.values.hostnameTemplate;
  const multi = typeof template === "string" ? multiLabelWarning(template) : undefined;
  if (multi) warn(this, `${path}:${config.lines.hostnameTemplate ?? 1}: ${multi}`);
  say(
    this,
    `${path} is valid (${keys} setting${keys === 1 ? "" : "s"}${
      config.group ? `, group of ${config.group.members.length}` : ""
    })`,
  );
}

/** `init`: creates the registry explicitly (idempotent) and prints its path. */
export function init(this: AppContext): void {
  const path = dbPath(this);
  const existed = initRegistry(path);
  out(this, `${path}\n`);
  say(this, existed ? "Registry already existed; schema is up to date" : "Created the registry");
}
