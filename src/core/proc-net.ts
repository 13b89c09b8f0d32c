/** Parsing Linux's socket tables (`/proc/net/{tcp,udp}[6]`): the one place that knows their layout. Pure. */

/** The TCP LISTEN state in the `st` column. */
export const TCP_LISTEN = "0A";

/** One socket of a `/proc/net` table. */
export interface ProcSocket {
  /** The local address, decoded (`127.0.0.10`, `0.0.0.0`, `::`, `::1`; IPv4-mapped as IPv4). */
  address: string;
  port: number;
  state: string;
  inode: string;
  uid: number;
}

/** Parses a table's text (a header line, then one socket a line). */
export function parseProcNet(text: string): ProcSocket[] {
  const rows: ProcSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (!local || f.length < 10) continue;
    const colon = local.lastIndexOf(":");
    rows.push({
      address: decodeAddress(local.slice(0, colon)),
      port: parseInt(local.slice(colon + 1), 16),
      state: f[3] ?? "",
      uid: Number(f[7]),
      inode: f[9] ?? "",
    });
  }
  return rows;
}

/** Decodes the kernel's little-endian-per-word hex address. */
export function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes: number[] = [];
  for (const w of words) {
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(w.slice(i, i + 2), 16));
  }
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join(".");
  }
  if (bytes.every((b) => b === 0)) return "::";
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}

/** True when a listener on `address` collides with `ip` (the same IP, or every IP: 0.0.0.0 and ::). */
export function collides(address: string, ip: string): boolean {
  return address === ip || address === "0.0.0.0" || address === "::";
}
