/**
 * 160-bit identifiers (node ids, storage keys, public-key ids) and Kademlia's XOR distance,
 * compared as big-endian unsigned numbers (byte 0 most significant, bit 0 = its top bit).
 */

import { createHash } from 'node:crypto';
import type { InfoHash } from './types.js';

export const HASH_LENGTH = 20;

/** Parse 40 hex digits; throws `RangeError` otherwise (ids from configuration, not from the wire). */
export function infoHashFromHex(hex: string): InfoHash {
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new RangeError(`not a 40-digit hex info hash: ${hex}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of any byte string. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]!;
  return s;
}

/** SHA-1 of bytes or of a string's UTF-8 (how OpenDHT turns human keys into storage keys). */
export function sha1(data: Uint8Array | string): InfoHash {
  return Uint8Array.from(createHash('sha1').update(data).digest());
}

/**
 * Which of `a` and `b` is closer to `target`: negative when `a` is, positive when `b` is, 0 when
 * they are equal.
 */
export function xorCompare(a: InfoHash, b: InfoHash, target: InfoHash): number {
  for (let i = 0; i < HASH_LENGTH; i++) {
    const ai = a[i]!;
    const bi = b[i]!;
    if (ai !== bi) {
      const t = target[i]!;
      return (ai ^ t) - (bi ^ t);
    }
  }
  return 0;
}

/** Number of leading bits `a` and `b` share (160 when equal). */
export function commonBits(a: InfoHash, b: InfoHash): number {
  for (let i = 0; i < HASH_LENGTH; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return HASH_LENGTH * 8;
}

/** A uniformly random id from the injected random source. */
export function randomId(rng: (n: number) => Uint8Array): InfoHash {
  return Uint8Array.from(rng(HASH_LENGTH).subarray(0, HASH_LENGTH));
}

/**
 * A random id whose first `bits` bits are those of `prefix` (a random id inside a routing-table
 * bucket's range).
 */
export function randomIdWithPrefix(prefix: InfoHash, bits: number, rng: (n: number) => Uint8Array): InfoHash {
  const id = randomId(rng);
  const full = Math.min(Math.max(bits, 0), HASH_LENGTH * 8);
  const whole = full >>> 3;
  for (let i = 0; i < whole; i++) id[i] = prefix[i]!;
  const rest = full & 7;
  if (rest !== 0) {
    const mask = (0xff << (8 - rest)) & 0xff;
    id[whole] = (prefix[whole]! & mask) | (id[whole]! & ~mask & 0xff);
  }
  return id;
}

export function infoHashEquals(a: InfoHash, b: InfoHash): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isZeroId(a: InfoHash): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

/** Bit `index` of `id`, MSB first (bit 0 = top bit of byte 0). */
export function getBit(id: InfoHash, index: number): 0 | 1 {
  return ((id[index >>> 3]! >>> (7 - (index & 7))) & 1) as 0 | 1;
}
