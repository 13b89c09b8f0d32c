/**
 * `treehouse doctor [--json] [--fix]`: flags → the checks (src/services/doctor/) → the report. Every
 * problem comes with the command that fixes it; `--fix` applies the fixes that need no root rights.
 * Exit code 12 when something is broken. The TLS and database checks come from their features.
 */
import { ExitCode } from "../../errors.ts";
import { registryPath } from "../../registry/path.ts";
import type { Registry } from "../../registry/registry.ts";
import { currentPlatform } from "../../adapters/platform/platform.ts";
import { type Check, formatChecks } from "../../services/doctor/checks.ts";
import { problem } from "../../services/doctor/context.ts";
import { brokenChecks, runChecks } from "../../services/doctor/doctor.ts";
import { loadSettings, type Settings } from "../../services/settings.ts";
import { VERSION } from "../../version.ts";
import type { AppContext } from "../context.ts";
import { json, out, say } from "../output.ts";
import { openRegistryIfExists } from "../target.ts";

/** Flags of `doctor`. */
export interface DoctorFlags {
  readonly json?: boolean;
  readonly fix?: boolean;
  readonly hostsFile?: string;
}

export default async function doctor(this: AppContext, flags: DoctorFlags): Promise<void> {
  const dbPath = registryPath(this.dbFlag, this.env);
  const checks = await runChecks({
    env: this.env,
    cwd: this.cwd,
    config: this.config,
    host: this.host,
    fix: flags.fix ?? false,
    dbPath,
    platform: currentPlatform(this.env, this.host.os),
  }, flags.hostsFile);
  checks.push(...await tlsChecks(this, dbPath));
  checks.push(await databaseCheckOf(this));
  const broken = brokenChecks(checks);
  if (flags.json) out(this, json({ ok: broken.length === 0, version: VERSION, checks }));
  else {
    out(this, formatChecks(checks));
    say(
      this,
      broken.length === 0
        ? "No problems found"
        : `${broken.length} problem(s) found: run the fix commands above`,
    );
  }
  if (broken.length > 0) this.exitCode = ExitCode.system;
}

/** One check per trust store of the local CA (loaded only here: it may issue a test leaf). */
async function tlsChecks(ctx: AppContext, dbPath: string): Promise<Check[]> {
  const { trustChecks } = await import("../../services/tls/trust-check.ts");
  const { tlsPaths } = await import("../../services/tls/files.ts");
  const { trustContext } = await import("./setup-https.ts");
  const root = (ctx.env("TREEHOUSE_ROOT") ?? "").replace(/\/+$/, "");
  return await trustChecks(
    tlsPaths(dbPath.slice(0, dbPath.lastIndexOf("/")) || "/"),
    trustContext(ctx, root),
    Date.now(),
  );
}

/** The `database` check (issue 14): loaded only here; asks the server only where the feature is used. */
async function databaseCheckOf(ctx: AppContext): Promise<Check> {
  let settings: Settings;
  try {
    settings = loadSettings(ctx.config, ctx.cwd);
  } catch {
    return { id: "database", status: "skip", detail: "the settings are invalid (see above)" };
  }
  const [{ databaseCheck }, { postgresEngine }, { serverOf }] = await Promise.all([
    import("../../services/db/check.ts"),
    import("../../adapters/postgres/client.ts"),
    import("./db/common.ts"),
  ]);
  let registry: Registry | undefined;
  try {
    const resolved = serverOf(ctx, settings);
    registry = openRegistryIfExists(ctx);
    return await databaseCheck({
      registry,
      engine: postgresEngine,
      resolved,
      create: settings.database.create,
      configured: resolved.source !== "default" && resolved.source !== "PG* variables",
    });
  } catch (error) {
    return { id: "database", status: "warn", ...problem(error) };
  } finally {
    registry?.close();
  }
}
