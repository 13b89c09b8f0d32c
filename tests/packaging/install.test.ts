/**
 * The README's install commands, run as written (from the checkout, into a temp `DENO_INSTALL_ROOT`):
 * the installed `treehouse` answers `--version`, `--help`, `list`, `doctor --json` and `ip` from a
 * directory outside the checkout, where no deno.json is discovered.
 */
import assert from "node:assert/strict";
import { childEnv, makeRepo, ROOT, tempDir } from "../helpers/cli.ts";

const dec = new TextDecoder();
const POOL = "127.0.8.10-127.0.8.20";

/** The `deno install` lines of the README's Install section (before the release part). */
async function readmeInstallLines(): Promise<string[]> {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const start = readme.indexOf("## Install\n");
  const end = readme.indexOf("<!-- install:begin -->");
  assert.ok(start >= 0 && end > start, "README has an Install section");
  return readme.slice(start, end).split("\n").filter((line) =>
    /^(deno task bundle && )?deno install /.test(line)
  );
}

async function sh(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  const out = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `${command} failed:\n${dec.decode(out.stderr)}`);
}

/** Builds the bundle into `dir` with the project's own bundle task (another output directory). */
async function bundleInto(dir: string): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const args = String(config.tasks.bundle).split(" ").slice(1).map((a, i, all) =>
    all[i - 1] === "--outdir" ? dir : a
  );
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  assert.ok(out.success, `deno ${args.join(" ")} failed: ${dec.decode(out.stderr)}`);
}

async function installed(bin: string, args: string[], cwd: string, env: Record<string, string>) {
  const out = await new Deno.Command(`${bin}/treehouse`, {
    args,
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function checkInstalled(bin: string, tmp: string): Promise<void> {
  const work = await makeRepo(tmp, "work", "s1-install");
  const env = {
    ...childEnv({ db: `${tmp}/registry.db` }),
    PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    TREEHOUSE_POOL: POOL,
    XDG_CONFIG_HOME: `${tmp}/config`,
  };
  const version = await installed(bin, ["--version"], work, env);
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), config.version);

  const help = await installed(bin, ["--help"], work, env);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /treehouse ip/);

  const empty = await installed(bin, ["list"], work, env);
  assert.equal(empty.code, 0, empty.stderr);

  const ip = await installed(bin, ["ip"], work, env);
  assert.equal(ip.code, 0, ip.stderr);
  assert.equal(ip.stdout, "127.0.8.10\n");

  const list = await installed(bin, ["list"], work, env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /s1-install/);

  // doctor's own verdict depends on the machine (avahi, aliases); it must answer, as JSON, without a crash.
  const doctor = await installed(bin, ["doctor", "--json"], work, env);
  assert.doesNotMatch(doctor.stderr, /TypeError|not a dependency|internal error/);
  assert.ok(doctor.code === 0 || doctor.code === 12, `doctor exited ${doctor.code}: ${doctor.stderr}`);
  assert.equal(typeof JSON.parse(doctor.stdout).ok, "boolean");
}

Deno.test("the README's install from source gives a treehouse whose every command works", async () => {
  const tmp = await tempDir();
  try {
    const [line] = (await readmeInstallLines()).filter((l) => l.includes("main.ts"));
    assert.ok(line, "README shows the install from source");
    const root = `${tmp.path}/deno-root`;
    await sh(line, ROOT, { ...childEnv(), DENO_INSTALL_ROOT: root });
    await checkInstalled(`${root}/bin`, tmp.path);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("the README's install of the bundle gives a treehouse whose every command works", async () => {
  const tmp = await tempDir();
  try {
    const [line] = (await readmeInstallLines()).filter((l) => l.includes("dist/bundle/main.js"));
    assert.ok(line, "README shows the install of the bundle");
    // The same commands, with the bundle in a temp directory instead of the checkout's dist/.
    const [bundleStep, installStep] = line.split(" && ");
    assert.equal(bundleStep, "deno task bundle");
    await bundleInto(`${tmp.path}/bundle`);
    const root = `${tmp.path}/deno-root`;
    await sh(installStep!.replace("dist/bundle/main.js", `${tmp.path}/bundle/main.js`), ROOT, {
      ...childEnv(),
      DENO_INSTALL_ROOT: root,
    });
    await checkInstalled(`${root}/bin`, tmp.path);
  } finally {
    await tmp.cleanup();
  }
});
