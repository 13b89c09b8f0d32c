/** A branch named like the machine never takes over the machine's own `<host>.local`. */
import assert from "node:assert/strict";
import { cli, tempDir } from "../helpers/cli.ts";
import { machineLabels } from "../../src/adapters/machine-name.ts";

const own = machineLabels()[0];

Deno.test({
  name: `a branch whose label is the machine's own mDNS host name is disambiguated like a collision${
    own ? "" : " (skipped: no host name)"
  }`,
  ignore: !own,
  fn: async () => {
    const tmp = await tempDir();
    try {
      const r = await cli(["allocate", "--json", "--branch", own!, "--project", tmp.path], {
        db: `${tmp.path}/r.db`,
        env: { TREEHOUSE_POOL: "127.0.9.60-127.0.9.69" },
      });
      assert.equal(r.code, 0, r.stderr);
      const host = JSON.parse(r.stdout).host as string;
      assert.notEqual(host, `${own}.local`);
      assert.match(host, new RegExp(`^${own}-.+\\.local$`));
      assert.match(r.stderr, new RegExp(`${own}\\.local is this machine's own mDNS name`));
    } finally {
      await tmp.cleanup();
    }
  },
});
