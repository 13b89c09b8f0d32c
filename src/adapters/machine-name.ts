/** The machine's own mDNS host name. */
import { sanitizeLabel } from "../core/sanitize.ts";

/**
 * Labels this machine answers itself: its host name's first label (`vm` of `vm.example.org`), which
 * avahi and mDNSResponder publish as `vm.local`. A branch must not take that name over.
 */
export function machineLabels(): string[] {
  try {
    const label = sanitizeLabel(Deno.hostname().split(".")[0] ?? "");
    return label ? [label] : [];
  } catch {
    return []; // no --allow-sys: nothing known
  }
}
