import { strict as assert } from "node:assert";
import { detectRepo, detectRepoFromFiles, detectRepoWithGit, resolve } from "../../src/adapters/git/repo.ts";
import { git, makeRepo, tempDir } from "../helpers/cli.ts";

function both(dir: string) {
  const fast = detectRepoFromFiles(dir);
  const slow = detectRepoWithGit(dir);
  assert.ok(slow, `git should find a repository at ${dir}`);
  if (fast === "unusual" || fast === "none") throw new Error(`fast path should handle ${dir}`);
  assert.equal(fast.project_path, slow.project_path, "project agrees");
  assert.equal(fast.branch, slow.branch, "branch agrees");
  return fast;
}

Deno.test("detectRepo() finds the current branch from any subdirectory, with and without git", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "shop", "main");
    await Deno.mkdir(`${repo}/lib/deep`, { recursive: true });
    assert.deepEqual(
      { ...both(`${repo}/lib/deep`), git_dir: undefined, common_dir: undefined },
      { project_path: repo, branch: "main", git_dir: undefined, common_dir: undefined },
    );
    await git(repo, "checkout", "-q", "-b", "feature/auth-flow");
    assert.equal(both(repo).branch, "feature/auth-flow");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("detectRepo() names a detached HEAD detached-<short sha>", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path);
    const sha = await git(repo, "rev-parse", "HEAD");
    await git(repo, "checkout", "-q", "--detach");
    assert.equal(both(repo).branch, `detached-${sha.slice(0, 7)}`);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a linked worktree shares its project with the main checkout", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "app");
    await git(repo, "worktree", "add", "-q", "-b", "feature-b", `${tmp.path}/app-feature-b`);
    const info = both(`${tmp.path}/app-feature-b`);
    assert.equal(info.project_path, repo);
    assert.equal(info.branch, "feature-b");
    assert.equal(both(repo).branch, "main");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a fresh repository with no commit reports its unborn branch", async () => {
  const tmp = await tempDir();
  try {
    const dir = `${tmp.path}/empty`;
    await Deno.mkdir(dir);
    await git(dir, "init", "-q", "-b", "trunk");
    assert.equal(both(dir).branch, "trunk");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("a symlinked path gives the same project as the real path", async () => {
  const tmp = await tempDir();
  try {
    const repo = await makeRepo(tmp.path, "real");
    await Deno.symlink(repo, `${tmp.path}/link`);
    assert.equal(both(`${tmp.path}/link`).project_path, repo);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("outside a repository detectRepo() returns undefined", async () => {
  const tmp = await tempDir();
  try {
    assert.equal(detectRepoFromFiles(tmp.path), "none");
    assert.equal(detectRepo(tmp.path), undefined);
    assert.equal(detectRepo(tmp.path, { branchKnown: true }), undefined);
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("unusual layouts fall back to git: bare repository and separate git dir", async () => {
  const tmp = await tempDir();
  try {
    const bare = `${tmp.path}/bare.git`;
    await Deno.mkdir(bare);
    await git(bare, "init", "-q", "--bare", "-b", "main");
    assert.equal(detectRepoFromFiles(bare), "none");
    const info = detectRepo(bare);
    assert.equal(info?.branch, "main");
    assert.equal(info?.project_path, bare);

    const work = `${tmp.path}/work`;
    await Deno.mkdir(work);
    await git(work, "init", "-q", "-b", "dev", "--separate-git-dir", `${tmp.path}/store`);
    assert.equal(detectRepoFromFiles(work), "unusual");
    assert.equal(detectRepo(work)?.branch, "dev");
  } finally {
    await tmp.cleanup();
  }
});

Deno.test("resolve() normalizes relative paths without node:path", () => {
  assert.equal(resolve("/a/b", "../c"), "/a/c");
  assert.equal(resolve("/a/b", "/x/./y/"), "/x/y");
  assert.equal(resolve("/", ".."), "/");
});
