/**
 * How this treehouse starts itself again (`run --detach` starts its wrapper so): the compiled binary
 * as it is, or `deno run -A` with the same entry module (and its `deno.json` when one lies beside it;
 * a bundle runs with `--no-config`).
 */

/** The program and leading arguments that run this treehouse. */
export function selfInvocation(
  execPath: string = Deno.execPath(),
  mainModule: string = Deno.mainModule,
): { program: string; args: string[] } {
  const name = execPath.slice(execPath.lastIndexOf("/") + 1);
  if (name !== "deno" && name !== "deno.exe") return { program: execPath, args: [] };
  const main = mainModule.startsWith("file:") ? new URL(mainModule).pathname : mainModule;
  const dir = main.slice(0, main.lastIndexOf("/"));
  let config: string[] = ["--no-config"];
  try {
    if (Deno.statSync(`${dir}/deno.json`).isFile) config = ["--config", `${dir}/deno.json`];
  } catch { /* no config beside the entry: a bundle */ }
  return { program: execPath, args: ["run", "-A", "--quiet", ...config, main] };
}
