/** Id operations the routing table needs beyond the codec's InfoHash helpers. */
import { HASH_LENGTH } from '../codec/infohash.js';
import type { InfoHash } from '../codec/types.js';

/** Plain big-endian order of two ids (bucket ranges are ordered this way). */
export function compareIds(a: InfoHash, b: InfoHash): number {
  for (let i = 0; i < HASH_LENGTH; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Copy of `id` with bit `n` set (MSB first): the first id of a split bucket's upper half. */
export function withBit(id: InfoHash, n: number): InfoHash {
  const out = Uint8Array.from(id);
  out[n >> 3]! |= 0x80 >> (n & 7);
  return out;
}

/** True when the first `depth` bits of `id` equal those of `prefix`. */
export function hasPrefix(id: InfoHash, prefix: InfoHash, depth: number): boolean {
  const full = depth >> 3;
  for (let i = 0; i < full; i++) if (id[i] !== prefix[i]) return false;
  const rest = depth & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (id[full]! & mask) === (prefix[full]! & mask);
}
