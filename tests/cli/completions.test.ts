import assert from "node:assert/strict";
import { cli, MAIN, tempDir } from "../helpers/cli.ts";

function has(tool: string): boolean {
  try {
    return new Deno.Command(tool, { args: ["-c", "exit 0"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** A temp bin dir with a `treehouse` wrapper around `deno run main.ts`, and the script for `shell`. */
async function setup(shell: string) {
  const tmp = await tempDir();
  const bin = `${tmp.path}/bin`;
  await Deno.mkdir(bin);
  await Deno.writeTextFile(
    `${bin}/treehouse`,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A --quiet "${MAIN}" "$@"\n`,
    { mode: 0o755 },
  );
  const script = await cli(["completions", shell]);
  assert.equal(script.code, 0, script.stderr);
  const file = `${tmp.path}/treehouse.${shell}`;
  await Deno.writeTextFile(file, script.stdout);
  return { tmp, bin, file };
}

async function runShell(
  shell: string,
  bin: string,
  code: string,
): Promise<{ code: number; out: string; err: string }> {
  const out = await new Deno.Command(shell, {
    args: ["-c", code],
    env: { PATH: `${bin}:${Deno.env.get("PATH")}`, NO_COLOR: "1", TREEHOUSE_DB: "/nonexistent/registry.db" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

Deno.test("completions propose offers commands, subcommands and flags for a partial line", async () => {
  const top = await cli(["completions", "propose", "--", "ho"]);
  assert.equal(top.stdout, "hosts\n");
  const sub = await cli(["completions", "propose", "--", "hosts", ""]);
  assert.deepEqual(sub.stdout.trim().split("\n").sort(), ["clean", "print", "sync"]);
  const flag = await cli(["completions", "propose", "--", "--db", "/tmp/x.db", "cleanup", "--dry"]);
  assert.equal(flag.stdout, "--dry-run\n");
  const hidden = await cli(["completions", "propose", "--", "completions", ""]);
  assert.deepEqual(hidden.stdout.trim().split("\n").sort(), ["bash", "fish", "zsh"]);
});

Deno.test("the bash completion script loads with eval and completes through treehouse on PATH", async () => {
  const { tmp, bin, file } = await setup("bash");
  try {
    const r = await runShell(
      "bash",
      bin,
      `eval "$(cat ${file})" && complete -p treehouse && COMP_WORDS=(treehouse hosts s) && COMP_CWORD=2 && ` +
        `_treehouse_complete && printf '<%s>\\n' "\${COMPREPLY[@]}"`,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /complete -o default -F _treehouse_complete treehouse/);
    assert.match(r.out, /<sync>/);
  } finally {
    await tmp.cleanup();
  }
});

const zsh = has("zsh");
Deno.test({
  name: zsh
    ? "the zsh completion script loads after compinit and completes subcommands"
    : "the zsh completion script ... (skipped: zsh is not installed)",
  ignore: !zsh,
  fn: async () => {
    const { tmp, bin, file } = await setup("zsh");
    try {
      const r = await runShell(
        "zsh",
        bin,
        `autoload -Uz compinit && compinit -u -D && source ${file} && print -r -- "registered=$_comps[treehouse]" && ` +
          `compadd() { shift; print -l -- "<$^@>" } && words=(treehouse hosts c) && CURRENT=3 && _treehouse`,
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /registered=_treehouse/);
      assert.match(r.out, /<clean>/);
    } finally {
      await tmp.cleanup();
    }
  },
});

const fish = has("fish");
Deno.test({
  name: fish
    ? "the fish completion script loads and completes subcommands"
    : "the fish completion script ... (skipped: fish is not installed)",
  ignore: !fish,
  fn: async () => {
    const { tmp, bin, file } = await setup("fish");
    try {
      const r = await runShell("fish", bin, `source ${file}; and complete -C 'treehouse hosts p'`);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^print/m);
    } finally {
      await tmp.cleanup();
    }
  },
});
