/**
 * treehouse: per-branch loopback IPs, hostnames, ports and database names.
 * Entry point only: run the CLI, exit with its code.
 */
import { runCli } from "./src/cli/runner.ts";

Deno.exit(await runCli(Deno.args));
