/**
 * Real dev servers with nothing typed (issue 16): `treehouse init` in a fresh app, then a plain
 * `treehouse run` on two worktrees at once, each answering by IP and by name (a request carrying the
 * branch's `Host`, as a browser sends it), with Vite's HMR WebSocket through the name. Vite 7 from
 * npm (one install per file), Django from Debian's python3-django, Node and Deno. Pool 127.0.6.10-99.
 */
import assert from "node:assert/strict";
import { cli, git, makeRepo, skipped, tempDir } from "../../helpers/cli.ts";
import { freePort, startCli } from "../../helpers/harness.ts";

const POOL = "127.0.6.10-127.0.6.99";

/** One raw HTTP/1.1 exchange on ip:port with the given Host (and extra headers): status and text. */
async function request(
  ip: string,
  port: number,
  host: string,
  path = "/",
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const conn = await Deno.connect({ hostname: ip, port });
  try {
    const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}`, "Connection: close", "Accept: */*"];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    await conn.write(new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`));
    let text = "";
    const buffer = new Uint8Array(65536);
    const decoder = new TextDecoder();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const n = await Promise.race([
        conn.read(buffer),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now()))),
      ]);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
      // A WebSocket upgrade stays open: its status line and headers are the answer.
      if (headers.Upgrade && text.includes("\r\n\r\n")) break;
    }
    return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), text };
  } finally {
    conn.close();
  }
}

async function commandWorks(args: string[], env?: Record<string, string>): Promise<boolean> {
  try {
    return (await new Deno.Command(args[0]!, { args: args.slice(1), env, stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

/** A repository with `files`, committed, and a second worktree on branch `run0-<name>-b`. */
async function appWithWorktree(
  parent: string,
  name: string,
  files: Record<string, string>,
): Promise<[string, string]> {
  const repo = await makeRepo(parent, name, `run0-${name}-a`);
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${repo}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${repo}/${path}`, text);
  }
  await git(repo, "add", ".");
  await git(repo, "commit", "-q", "-m", "app");
  const other = `${parent}/${name}-b`;
  await git(repo, "worktree", "add", "-q", "-b", `run0-${name}-b`, other);
  return [repo, other];
}

/** `treehouse init` in `dir`, then a free port instead of the framework's usual one (other tests run). */
async function initWithPort(
  dir: string,
  env: Record<string, string>,
): Promise<{ port: number; stderr: string }> {
  const init = await cli(["init"], { cwd: dir, env });
  assert.equal(init.code, 0, init.stderr);
  const port = freePort();
  const file = `${dir}/treehouse.toml`;
  await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace(/^port = \d+$/m, `port = ${port}`));
  return { port, stderr: init.stderr };
}

/** Starts a plain `treehouse run --yes` in each directory and waits until each says ready. */
async function runBoth(dirs: string[], db: string, env: Record<string, string>) {
  const runs = dirs.map((dir) =>
    startCli(["run", "--yes", "--no-mdns", "--ready", "{url}/"], { cwd: dir, db, env })
  );
  const stop = async () => {
    for (const run of runs) {
      try {
        Deno.kill(run.pid, "SIGTERM");
      } catch { /* gone */ }
    }
    for (const run of runs) await run.status;
  };
  try {
    for (const run of runs) await run.waitStderr(/ready at/, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const where = runs.map((r) => ({
    ip: /IP\s+(127\.0\.6\.\d+)/.exec(r.stderr())?.[1] ?? "",
    host: /Hostname\s+(\S+)/.exec(r.stderr())?.[1] ?? "",
  }));
  return { runs, where, stop };
}

const hasNpm = await commandWorks(["npm", "--version"]);

Deno.test({
  name: "Vite 7: init, then a plain run on two worktrees answers by IP and by name, HMR's WebSocket too",
  ignore: !hasNpm,
  sanitizeResources: false,
  fn: async () => {
    const tmp = await tempDir();
    try {
      const [a, b] = await appWithWorktree(tmp.path, "vite", {
        "package.json": JSON.stringify({
          name: "v",
          private: true,
          type: "module",
          scripts: { dev: "vite" },
          devDependencies: { vite: "^7" },
        }),
        "index.html": '<!doctype html><script type="module" src="/main.js"></script><p>vite app</p>\n',
        "main.js": "document.body.append('ok');\n",
        ".gitignore": "node_modules\n",
      });
      const install = await new Deno.Command("npm", {
        args: ["install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd: a,
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!install.success) {
        skipped(`npm install vite@7 failed: ${new TextDecoder().decode(install.stderr).slice(0, 200)}`);
        return;
      }
      await Deno.symlink(`${a}/node_modules`, `${b}/node_modules`);
      const env = { TREEHOUSE_POOL: POOL };
      const { port } = await initWithPort(a, env);
      await Deno.copyFile(`${a}/treehouse.toml`, `${b}/treehouse.toml`);
      assert.match(await Deno.readTextFile(`${a}/treehouse.toml`), /^command = \["npx", "vite"\]$/m);
      const db = `${tmp.path}/r.db`;
      const { runs, where, stop } = await runBoth([a, b], db, env);
      try {
        assert.notEqual(where[0]!.ip, where[1]!.ip);
        for (const [i, { ip, host }] of where.entries()) {
          assert.match(
            runs[i]!.stderr(),
            /Preset\s+Vite: added --host 127\.0\.6\.\d+ --port \d+ --strictPort/,
          );
          assert.doesNotMatch(runs[i]!.stderr(), /warning: The server listens/);
          const byIp = await request(ip, port, `${ip}:${port}`);
          assert.equal(byIp.status, 200, byIp.text.slice(0, 300));
          assert.match(byIp.text, /vite app/);
          const byName = await request(ip, port, `${host}:${port}`);
          assert.equal(byName.status, 200, `by name: ${byName.text.slice(0, 300)}`);
          const client = await request(ip, port, `${host}:${port}`, "/@vite/client");
          const token = /const wsToken = "([^"]+)"/.exec(client.text)?.[1];
          assert.ok(token, "the client script carries the HMR token");
          const ws = await request(ip, port, `${host}:${port}`, `/?token=${token}`, {
            Upgrade: "websocket",
            Connection: "Upgrade",
            Origin: `http://${host}:${port}`,
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Protocol": "vite-hmr",
          });
          assert.equal(ws.status, 101, `HMR WebSocket through the name: ${ws.text.slice(0, 300)}`);
        }
      } finally {
        await stop();
      }
      // The same server through `npm run dev` ("dev": "vite"): the preset goes after npm's `--`.
      const viaScript = startCli(["run", "--no-mdns", "--ready", "{url}/", "--", "npm", "run", "dev"], {
        cwd: a,
        db,
        env,
      });
      try {
        await viaScript.waitStderr(/ready at/, 60_000);
        assert.match(
          viaScript.stderr(),
          /Command\s+npm run dev -- --host 127\.0\.6\.\d+ --port \d+ --strictPort/,
        );
        const { ip, host } = where[0]!;
        assert.equal((await request(ip, port, `${host}:${port}`)).status, 200, "by name through npm run dev");
      } finally {
        try {
          Deno.kill(viaScript.pid, "SIGTERM");
        } catch { /* gone */ }
        await viaScript.status;
      }
    } finally {
      await tmp.cleanup();
    }
  },
});

const DJANGO_PATH = `/usr/bin:${Deno.env.get("PATH") ?? ""}`;
const hasDjango = await commandWorks(["/usr/bin/python3", "-c", "import django"]);

Deno.test({
  name:
    "Django: init names the ALLOWED_HOSTS line; with it, a plain run on two worktrees answers by IP and name",
  ignore: !hasDjango,
  fn: async () => {
    const tmp = await tempDir();
    try {
      const seed = `${tmp.path}/seed`;
      await Deno.mkdir(seed);
      const made = await new Deno.Command("/usr/bin/python3", {
        args: ["-m", "django", "startproject", "mysite", "."],
        cwd: seed,
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(made.success, new TextDecoder().decode(made.stderr));
      const files: Record<string, string> = {};
      for (
        const path of [
          "manage.py",
          "mysite/settings.py",
          "mysite/urls.py",
          "mysite/wsgi.py",
          "mysite/asgi.py",
          "mysite/__init__.py",
        ]
      ) {
        files[path] = await Deno.readTextFile(`${seed}/${path}`);
      }
      const env = { TREEHOUSE_POOL: POOL, PATH: DJANGO_PATH };
      const repo = await makeRepo(tmp.path, "django", "run0-django-a");
      for (const [path, text] of Object.entries(files)) {
        await Deno.mkdir(`${repo}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
        await Deno.writeTextFile(`${repo}/${path}`, text);
      }
      const dry = await cli(["init", "--dry-run"], { cwd: repo, env });
      const line = /mysite\/settings\.py: (ALLOWED_HOSTS = .*) {2}# with: import os/.exec(dry.stderr)?.[1];
      assert.ok(line, `init names the settings line:\n${dry.stderr}`);
      // The user applies what init printed.
      const settings = `${repo}/mysite/settings.py`;
      await Deno.writeTextFile(
        settings,
        `import os\n${(await Deno.readTextFile(settings)).replace(/^ALLOWED_HOSTS = \[\]$/m, line)}`,
      );
      const { port } = await initWithPort(repo, env);
      await git(repo, "add", ".");
      await git(repo, "commit", "-q", "-m", "django");
      const other = `${tmp.path}/django-b`;
      await git(repo, "worktree", "add", "-q", "-b", "run0-django-b", other);
      const db = `${tmp.path}/r.db`;
      const { runs, where, stop } = await runBoth([repo, other], db, env);
      try {
        for (const [i, { ip, host }] of where.entries()) {
          assert.match(runs[i]!.stderr(), /Preset\s+Django: added 127\.0\.6\.\d+:\d+/);
          assert.equal((await request(ip, port, `${ip}:${port}`)).status, 200, "by IP");
          assert.equal((await request(ip, port, `${host}:${port}`)).status, 200, "by name");
        }
        assert.notEqual(where[0]!.ip, where[1]!.ip);
      } finally {
        await stop();
      }
    } finally {
      await tmp.cleanup();
    }
  },
});

Deno.test("Node and Deno: init finds the dev script and task; the server reads HOST and PORT", async () => {
  const tmp = await tempDir();
  try {
    const server = (runtime: string) =>
      runtime === "node"
        ? "require('http').createServer((q, s) => s.end('node ' + q.headers.host)).listen(process.env.PORT, process.env.HOST);\n"
        : "Deno.serve({ hostname: Deno.env.get('HOST'), port: Number(Deno.env.get('PORT')), onListen() {} }, (r) => new Response('deno ' + r.headers.get('host')));\n";
    const env = { TREEHOUSE_POOL: POOL };
    for (
      const [name, files] of [
        ["node", { "package.json": '{"scripts":{"dev":"node server.js"}}', "server.js": server("node") }],
        ["deno", { "deno.json": '{"tasks":{"dev":"deno run -A server.ts"}}', "server.ts": server("deno") }],
      ] as const
    ) {
      const [a, b] = await appWithWorktree(tmp.path, name, files);
      const { port } = await initWithPort(a, env);
      await Deno.copyFile(`${a}/treehouse.toml`, `${b}/treehouse.toml`);
      const { where, stop } = await runBoth([a, b], `${tmp.path}/r.db`, env);
      try {
        for (const { ip, host } of where) {
          const answer = await request(ip, port, `${host}:${port}`);
          assert.equal(answer.status, 200, answer.text);
          assert.match(answer.text, new RegExp(`${name} ${host.replaceAll(".", "\\.")}:${port}`));
        }
      } finally {
        await stop();
      }
    }
  } finally {
    await tmp.cleanup();
  }
});

Deno.test({
  name:
    "Next.js 16: init names allowedDevOrigins; with it, two worktrees answer by IP and name, HMR through the name",
  ignore: !hasNpm,
  sanitizeResources: false,
  fn: async () => {
    const tmp = await tempDir();
    try {
      const [a, b] = await appWithWorktree(tmp.path, "next", {
        "package.json": JSON.stringify({
          name: "n",
          private: true,
          dependencies: { next: "^16", react: "^19", "react-dom": "^19" },
        }),
        "app/layout.js":
          "export default function Layout({ children }) { return <html><body>{children}</body></html>; }\n",
        "app/page.js": "export default function Page() { return <p>next app</p>; }\n",
        ".gitignore": "node_modules\n.next\n",
      });
      const install = await new Deno.Command("npm", {
        args: ["install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd: a,
        env: { NEXT_TELEMETRY_DISABLED: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      if (!install.success) {
        skipped(`npm install next@16 failed: ${new TextDecoder().decode(install.stderr).slice(0, 200)}`);
        return;
      }
      // Turbopack compiles nothing outside the checkout: a hard-linked copy, not a symlink.
      const copied = await new Deno.Command("cp", { args: ["-al", `${a}/node_modules`, `${b}/node_modules`] })
        .output();
      assert.ok(copied.success, "cp -al node_modules");
      const env = { TREEHOUSE_POOL: POOL, NEXT_TELEMETRY_DISABLED: "1" };
      const dry = await cli(["init", "--dry-run"], { cwd: a, env });
      const advice = /create (next\.config\.mjs) with: (.*)$/m.exec(dry.stderr);
      assert.ok(advice, `init names the file and line:\n${dry.stderr}`);
      // The user does what init said, in both checkouts.
      for (const dir of [a, b]) await Deno.writeTextFile(`${dir}/${advice[1]}`, `${advice[2]}\n`);
      const { port } = await initWithPort(a, env);
      await Deno.copyFile(`${a}/treehouse.toml`, `${b}/treehouse.toml`);
      const { runs, where, stop } = await runBoth([a, b], `${tmp.path}/r.db`, env);
      try {
        assert.notEqual(where[0]!.ip, where[1]!.ip);
        for (const [i, { ip, host }] of where.entries()) {
          assert.match(runs[i]!.stderr(), /Preset\s+Next\.js: added -H 127\.0\.6\.\d+ -p \d+/);
          const byIp = await request(ip, port, `${ip}:${port}`);
          assert.equal(
            byIp.status,
            200,
            `by IP: ${byIp.text.slice(0, 400)}\n${runs[i]!.stderr().slice(-1500)}`,
          );
          const byName = await request(ip, port, `${host}:${port}`);
          assert.equal(byName.status, 200, "by name");
          assert.match(byName.text, /next app/);
          const ws = await request(ip, port, `${host}:${port}`, "/_next/hmr", {
            Upgrade: "websocket",
            Connection: "Upgrade",
            Origin: `http://${host}:${port}`,
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
          });
          assert.equal(ws.status, 101, `HMR WebSocket through the name: ${ws.text.slice(0, 300)}`);
        }
      } finally {
        await stop();
      }
    } finally {
      await tmp.cleanup();
    }
  },
});
