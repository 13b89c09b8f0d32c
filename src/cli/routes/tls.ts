/** Commands of the TLS feature (issue 13): the local CA and where its files are. */
import { buildCommand, buildRouteMap } from "@stricli/core";
import { docs, jsonFlag, switchFlag } from "../flags.ts";
import { guard } from "../guard.ts";

const ca = buildCommand({
  loader: async () => guard((await import("../commands/tls.ts")).ca),
  parameters: {
    flags: {
      renew: switchFlag("Replace the CA with a new one (trust stores must then be set up again)"),
    },
  },
  docs: docs(
    "Print the local CA certificate (PEM), creating the CA on first use",
    [
      "treehouse tls ca > treehouse-ca.pem",
      "treehouse tls ca --renew && treehouse setup --https",
    ],
    "ECDSA P-256, valid ten years, kept in the data directory's tls/ (0700; keys 0600). A corrupt or " +
      "unreadable CA is an error and is never replaced without --renew, which also drops every cached " +
      "leaf certificate.",
  ),
});

const path = buildCommand({
  loader: async () => guard((await import("../commands/tls.ts")).path),
  parameters: { flags: { ...jsonFlag } },
  docs: docs(
    "Print the path of the local CA certificate",
    [
      'curl --cacert "$(treehouse tls path)" https://main.local/',
      "treehouse tls path --json | jq -r '.files[].path'",
    ],
    "--json lists every file treehouse keeps in the TLS directory with its mode. Nothing is created.",
  ),
});

const tls = buildRouteMap({
  routes: { ca, path },
  docs: docs("The local certificate authority behind `run --https`", [
    "treehouse tls ca",
    "treehouse tls path",
  ]),
});

/** The TLS routes, spread into the root route map by `src/cli/app.ts`. */
export const tlsRoutes = { tls };
