/**
 * A short, stable, synchronous hash for names (FNV-1a, 32 bit, hex). Not for security: it only
 * makes two different long names end differently after cutting.
 */
export function shortHash(value: string, length = 6): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(value)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0").slice(0, length);
}
