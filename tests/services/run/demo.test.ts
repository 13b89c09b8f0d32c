/** The README's first command: the demo shows two branches answering on the same port. */
import assert from "node:assert/strict";
import { childEnv, ROOT } from "../../helpers/cli.ts";
import { freePort } from "../../helpers/harness.ts";

Deno.test("the demo starts two branches on the same port, shows both answering, and stops them", async () => {
  const port = freePort();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `${ROOT}/examples/demo.ts`, "--once"],
    env: childEnv({ env: { DEMO_PORT: String(port) } }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.match(
    stdout,
    new RegExp(
      `http://127\\.0\\.0\\.\\d+:${port} +http://main\\.local:${port} +branch=main +database=demo_dev_main`,
    ),
  );
  assert.match(stdout, /branch=feature\/login +database=demo_dev_feature_login/);
  assert.match(stdout, /main +127\.0\.0\.\d+ +main\.local +\d+ +http:\/\/main\.local:\d+ +RUNNING/);
  assert.match(stderr, /ready at http:\/\/feature-login\.local/);
});
