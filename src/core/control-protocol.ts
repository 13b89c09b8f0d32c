/**
 * The control protocol between `treehouse` commands and a running wrapper (issue 15): one JSON
 * object per line, one request per connection. Pure: parsing and validation only. The wrapper only
 * ever acts on its own recorded command; nothing in a request is run.
 */

/** The largest request line accepted, in bytes (the newline included). */
export const MAX_REQUEST_BYTES = 4096;
/** The largest number of log lines one request may ask for. */
export const MAX_LOG_LINES = 10_000;

/** What a client may ask. */
export type ControlRequest =
  | { op: "status" }
  | { op: "restart"; wait: boolean }
  | { op: "stop" }
  | { op: "logs"; lines: number; follow: boolean };

/** The state a wrapper reports about itself. */
export interface ControlStatus {
  state: "starting" | "ready" | "restarting" | "crashed" | "stopped";
  pid: number | null;
  wrapper_pid: number;
  restarts: number;
  started_at: number;
  ready_at: number | null;
}

/**
 * A reply line. `ok: false` carries an error message; log lines stream as `{ line }`. A restart is
 * acknowledged at once with `{ ok: true, accepted: true }` and answered with its status when done, so a
 * client can tell a wrapper that does not answer from a restart that takes its time.
 */
export type ControlReply =
  | { ok: true; status?: ControlStatus; done?: boolean; accepted?: boolean }
  | { ok: false; error: string }
  | { line: string };

/** The result of parsing one request line. */
export type ParsedRequest = { ok: true; request: ControlRequest } | { ok: false; error: string };

/** Parses and validates one request line (without its newline). Never throws. */
export function parseRequest(line: string): ParsedRequest {
  if (line.length > MAX_REQUEST_BYTES) return { ok: false, error: "request too large" };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: "malformed request: not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "malformed request: expected an object" };
  }
  const v = value as Record<string, unknown>;
  switch (v.op) {
    case "status":
    case "stop":
      return { ok: true, request: { op: v.op } };
    case "restart":
      if (v.wait !== undefined && typeof v.wait !== "boolean") {
        return { ok: false, error: "malformed request: wait must be true or false" };
      }
      return { ok: true, request: { op: "restart", wait: v.wait !== false } };
    case "logs": {
      const lines = v.lines ?? 100;
      if (typeof lines !== "number" || !Number.isInteger(lines) || lines < 0 || lines > MAX_LOG_LINES) {
        return { ok: false, error: `malformed request: lines must be an integer 0-${MAX_LOG_LINES}` };
      }
      if (v.follow !== undefined && typeof v.follow !== "boolean") {
        return { ok: false, error: "malformed request: follow must be true or false" };
      }
      return { ok: true, request: { op: "logs", lines, follow: v.follow === true } };
    }
    default:
      return {
        ok: false,
        error: typeof v.op === "string"
          ? `unknown request "${v.op.slice(0, 40)}" (known: status, restart, stop, logs)`
          : "malformed request: no op",
      };
  }
}

/** Validates a reply line read back from a wrapper; undefined when it is not one. */
export function parseReply(line: string): ControlReply | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.line === "string") return { line: v.line };
  if (v.ok === false) return { ok: false, error: typeof v.error === "string" ? v.error : "unknown error" };
  if (v.ok === true) return v as ControlReply;
  return undefined;
}
