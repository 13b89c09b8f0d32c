/**
 * The watchdog: a tiny `sh` that outlives a SIGKILLed wrapper. It reads commands on a pipe from the
 * wrapper (`add TARGET` / `del TARGET` where TARGET is a pid or `-pgid`, `tag ID`) and, when the pipe closes
 * without `exit` (the wrapper died), sends SIGTERM to every target and tagged process, then SIGKILL
 * to what is left. It ignores terminal signals and lives in its own session, so Ctrl-C and a closing
 * terminal reach the wrapper and its child but never the watchdog.
 */

/**
 * The watchdog script. `$1` is how long to wait between SIGTERM and SIGKILL, in tenths of a second;
 * `$2` the first target and `$3` the tag, when known at start (arguments arrive with the process, while
 * a line on the pipe is written only when the wrapper's event loop next runs: a wrapper SIGKILLed before
 * that would leave its watchdog without orders).
 */
export const WATCHDOG_SCRIPT = `
trap '' INT HUP TERM QUIT TSTP TTIN TTOU
targets="\${2:-}"
tag="\${3:-}"
while IFS= read -r line; do
  case "$line" in
    "add "*) targets="$targets \${line#add }" ;;
    "del "*)
      kept=""
      for t in $targets; do [ "$t" = "\${line#del }" ] || kept="$kept $t"; done
      targets="$kept" ;;
    "tag "*) tag="\${line#tag }" ;;
    exit) exit 0 ;;
  esac
done
tagged() {
  [ -n "$tag" ] && [ -d /proc ] || return 0
  grep -lsxzF "TREEHOUSE_RUN_ID=$tag" /proc/[0-9]*/environ 2>/dev/null |
    sed -e 's|^/proc/||' -e 's|/environ$||' | grep -vx "$$"
}
sweep() {
  left=""
  for t in $targets $(tagged); do
    if kill -s "$1" -- "$t" 2>/dev/null; then left="$left $t"; fi
  done
  [ -n "$left" ]
}
sweep TERM || exit 0
i=0
while [ "$i" -lt "$1" ]; do
  sleep 0.1
  i=$((i + 1))
  alive=""
  for t in $targets $(tagged); do kill -0 -- "$t" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && exit 0
done
sweep KILL
exit 0
`;

/**
 * A watchdog; `release()` on a normal exit so it leaves without killing anything. A lazy one starts
 * its `sh` at the first `watch`, so `treehouse run`'s child is spawned first (a process's first spawn
 * pays the runtime's set-up cost, ~7 ms here) and the server's start is not delayed by its guard.
 */
export class Watchdog {
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #process: Deno.ChildProcess | undefined;
  #encoder = new TextEncoder();
  #started = false;
  #tag: string | undefined;

  private constructor(private readonly graceMs: number, private readonly setsid: string | undefined) {}

  /** Starts the watchdog now (its `sh` in a session of its own through `setsid` when given, see `Host`). */
  static start(graceMs: number, setsid?: string): Watchdog {
    const watchdog = new Watchdog(graceMs, setsid);
    watchdog.#ensureStarted(undefined);
    return watchdog;
  }

  /** A watchdog whose `sh` starts at the first {@link watch}. */
  static lazy(graceMs: number, setsid?: string): Watchdog {
    return new Watchdog(graceMs, setsid);
  }

  /**
   * Starts `/bin/sh` once. Without a shell the watchdog stays inert: supervision still works, only the
   * SIGKILL case loses its safety net.
   */
  #ensureStarted(firstTarget?: number): boolean {
    if (this.#started) return false;
    this.#started = true;
    try {
      const args = [
        "-c",
        WATCHDOG_SCRIPT,
        "treehouse-watchdog",
        String(Math.max(1, Math.round(this.graceMs / 100))),
        firstTarget === undefined ? "" : String(firstTarget),
        this.#tag ?? "",
      ];
      const setsid = this.setsid;
      const process = new Deno.Command(setsid ?? "/bin/sh", {
        args: setsid ? ["/bin/sh", ...args] : args,
        stdin: "piped",
        stdout: "null",
        stderr: "null",
        detached: setsid === undefined,
        env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" },
        clearEnv: true,
      }).spawn();
      process.unref();
      this.#process = process;
      this.#writer = process.stdin.getWriter();
      return true;
    } catch {
      return false; // inert
    }
  }

  /** The watchdog's pid (undefined when it could not start). */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** Adds a process (`pid`) or group (`-pgid`) to end if the wrapper dies. */
  watch(target: number): void {
    // The first target of a lazy watchdog goes in its arguments: in force as soon as it is spawned.
    if (!this.#ensureStarted(target)) this.#send(`add ${target}\n`);
  }

  /** Forgets a target that has ended (its pid could be reused by an unrelated process later). */
  unwatch(target: number): void {
    this.#send(`del ${target}\n`);
  }

  /** Sets the run's `TREEHOUSE_RUN_ID` tag (Linux: tagged processes are ended too). */
  tag(id: string): void {
    this.#tag = id;
    if (this.#started) this.#send(`tag ${id}\n`);
  }

  /** Tells the watchdog the wrapper cleaned up itself: it exits without killing anything. */
  async release(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    if (!writer) return;
    try {
      await writer.write(this.#encoder.encode("exit\n"));
      await writer.close();
    } catch { /* already gone */ }
    try {
      // Waited for now: an unref'd child alone would let the event loop end under this await.
      this.#process?.ref();
      await this.#process?.status;
    } catch { /* ignore */ }
  }

  #send(line: string): void {
    this.#writer?.write(this.#encoder.encode(line)).catch(() => {});
  }
}
