/**
 * The store's key table: key entries found by the key's bytes, without a string per lookup.
 *
 * A `Map<string, KeyEntry>` needed the key as a latin1 string: one made per put, get and listen
 * (hashed each time, being fresh) and one kept per key (~40 bytes), plus the Map's own slot
 * (~40 bytes per key with its buckets). Here an entry keeps its key's 20 bytes as five 32-bit
 * fields, and the table is an open-addressing array of entries beside an array of their hashes:
 * a lookup reads the hashes (sequential) and follows a pointer only when a hash matches, then
 * compares fields of the entry it loaded. ~12 bytes per slot, at most three quarters full.
 *
 * Keys come from the network, so the hash is keyed with a per-table random secret
 * (HalfSipHash-1-3 over the five words and the length): without the secret, nobody can choose
 * keys that pile up in one run of the table.
 */
import type { InfoHash } from '../codec/types.js';
import type { KeyEntry } from './values.js';

/** The key length every datagram carries; other lengths (local callers) are kept as strings. */
export const KEY_LENGTH = 20;
const MIN_CAPACITY = 16;

/** Bytes `at`..`at+3` of `b` (zero past its end) as a signed 32-bit integer. */
export function keyWord(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0);
}

/**
 * HalfSipHash-1-3 of five words and a length under the 64-bit secret (k0, k1); never 0 (0 marks
 * an empty slot). Written from the published description of the algorithm, unrolled, its state
 * in locals: ~16 ns a hash here, where the state in module variables and a function per round
 * cost ~100 ns (more than hashing a fresh key string had).
 */
export function keyHash(k0: number, k1: number, w0: number, w1: number, w2: number, w3: number, w4: number, length: number): number {
  let v0 = k0;
  let v1 = k1;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  // One compression round per word (c = 1), then three finalization rounds (d = 3), unrolled.
  v3 ^= w0;
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  v0 ^= w0;
  v3 ^= w1;
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  v0 ^= w1;
  v3 ^= w2;
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  v0 ^= w2;
  v3 ^= w3;
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  v0 ^= w3;
  v3 ^= w4;
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  v0 ^= w4;
  v3 ^= length << 24;
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  v0 ^= length << 24;
  v2 ^= 0xff;
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  v0 = (v0 + v1) | 0;
  v1 = ((v1 << 5) | (v1 >>> 27)) ^ v0;
  v0 = (v0 << 16) | (v0 >>> 16);
  v2 = (v2 + v3) | 0;
  v3 = ((v3 << 8) | (v3 >>> 24)) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = ((v3 << 7) | (v3 >>> 25)) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = ((v1 << 13) | (v1 >>> 19)) ^ v2;
  v2 = (v2 << 16) | (v2 >>> 16);
  const h = v1 ^ v3;
  return h === 0 ? 1 : h;
}

export class KeyTable {
  private slots: Array<KeyEntry | undefined> = new Array<KeyEntry | undefined>(MIN_CAPACITY).fill(undefined);
  /** The hash of the entry in each slot; 0 for an empty slot. */
  private hashes = new Int32Array(MIN_CAPACITY);
  private used = 0;

  /** `k0`, `k1`: the hash secret (random, per table). */
  constructor(
    private readonly k0: number,
    private readonly k1: number,
  ) {}

  get size(): number {
    return this.used;
  }

  /** The entry of a key given as bytes. */
  get(key: InfoHash): KeyEntry | undefined {
    const w0 = keyWord(key, 0);
    const w1 = keyWord(key, 4);
    const w2 = keyWord(key, 8);
    const w3 = keyWord(key, 12);
    const w4 = keyWord(key, 16);
    const h = keyHash(this.k0, this.k1, w0, w1, w2, w3, w4, key.length);
    const hashes = this.hashes;
    const mask = hashes.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = hashes[i]!;
      if (at === 0) return undefined;
      if (at !== h) continue;
      const e = this.slots[i]!;
      if (e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3 && e.w4 === w4 && e.sameKey(key)) return e;
    }
  }

  /** Adds an entry whose key is not in the table. */
  add(entry: KeyEntry): void {
    if ((this.used + 1) * 4 > this.hashes.length * 3) this.resize(this.hashes.length * 2);
    this.place(entry, this.hashOf(entry));
    this.used++;
  }

  /** Removes this very entry; false if the table does not hold it. */
  delete(entry: KeyEntry): boolean {
    const hashes = this.hashes;
    const slots = this.slots;
    const mask = hashes.length - 1;
    let i = this.hashOf(entry) & mask;
    for (; slots[i] !== entry; i = (i + 1) & mask) if (hashes[i] === 0) return false;
    // Backward-shift deletion: later entries of the run move into the hole when their home slot
    // is not between the hole and them, so a lookup never meets a gap before its entry.
    let hole = i;
    for (let j = (i + 1) & mask; hashes[j] !== 0; j = (j + 1) & mask) {
      const home = hashes[j]! & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[hole] = slots[j];
        hashes[hole] = hashes[j]!;
        hole = j;
      }
    }
    slots[hole] = undefined;
    hashes[hole] = 0;
    this.used--;
    // Give back memory after a flood of keys has left (the table shrinks by halves).
    if (hashes.length > MIN_CAPACITY && this.used * 8 < hashes.length) this.resize(hashes.length / 2);
    return true;
  }

  private hashOf(e: KeyEntry): number {
    return keyHash(this.k0, this.k1, e.w0, e.w1, e.w2, e.w3, e.w4, e.keyLength);
  }

  private place(entry: KeyEntry, h: number): void {
    const hashes = this.hashes;
    const mask = hashes.length - 1;
    let i = h & mask;
    while (hashes[i] !== 0) i = (i + 1) & mask;
    hashes[i] = h;
    this.slots[i] = entry;
  }

  private resize(capacity: number): void {
    const oldSlots = this.slots;
    const oldHashes = this.hashes;
    this.slots = new Array<KeyEntry | undefined>(capacity).fill(undefined);
    this.hashes = new Int32Array(capacity);
    for (let i = 0; i < oldHashes.length; i++) if (oldHashes[i] !== 0) this.place(oldSlots[i]!, oldHashes[i]!);
  }
}
