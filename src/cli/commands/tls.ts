/** `treehouse tls ca [--renew]` and `treehouse tls path [--json]`. */
import { registryPath } from "../../registry/path.ts";
import { ensureCa } from "../../services/tls/ca.ts";
import { tlsPaths } from "../../services/tls/files.ts";
import { tlsFiles } from "../../services/tls/leaf.ts";
import type { AppContext } from "../context.ts";
import { json, out, say } from "../output.ts";

function paths(ctx: AppContext) {
  const db = registryPath(ctx.dbFlag, ctx.env);
  return tlsPaths(db.slice(0, db.lastIndexOf("/")) || "/");
}

/** `tls ca`: the CA certificate on stdout, made on first use; `--renew` replaces it. */
export async function ca(this: AppContext, flags: { readonly renew?: boolean }): Promise<void> {
  const p = paths(this);
  const loaded = await ensureCa(p, { now: Date.now(), renew: flags.renew });
  if (loaded.created) {
    say(this, `treehouse: ${flags.renew ? "made a new" : "created the"} local CA: ${p.caCert}`);
    say(this, "hint: Trust it once per machine: treehouse setup --https");
  }
  out(this, loaded.certPem);
}

/** `tls path`: the CA certificate's path; `--json` every file of the TLS directory. */
export async function path(this: AppContext, flags: { readonly json?: boolean }): Promise<void> {
  const p = paths(this);
  if (!flags.json) {
    out(this, `${p.caCert}\n`);
    return;
  }
  // snake_case keys, as every other --json output (https_url, wrapper_pid…).
  out(this, json({ dir: p.dir, ca_cert: p.caCert, ca_key: p.caKey, files: await tlsFiles(p) }));
}
