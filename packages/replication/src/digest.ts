/**
 * Digests for anti-entropy. Every entry (a record, or a tombstone) has a 64-bit digest of all its
 * fields; entries fall into 256 buckets by the first byte of SHA-256 of their name; a bucket's
 * digest is the XOR of its entries', the root the XOR of the buckets'. XOR lets an insert or a
 * removal update them in O(1), so comparing two boxes costs one request when nothing changed.
 */
import { createHash, createHmac } from 'node:crypto';
import { BUCKETS, type Tombstone, type WireRecord } from './codec/wire.js';

export function recordDigest(r: WireRecord): string {
  const text = [r.name, r.addr, r.owner, r.publickey, r.signature, r.registeredAt, r.origin ?? '', r.confirmed ?? ''].join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function tombstoneDigest(t: Tombstone): string {
  return createHash('sha256').update(['removed', t.name, t.addr, t.removedAt, t.mac].join('\n')).digest('hex').slice(0, 16);
}

/** The text the site key authenticates for a removal. */
export function tombstoneMac(siteKey: string, t: Omit<Tombstone, 'mac'>): string {
  return createHmac('sha256', siteKey).update(['lanbox-removal-v1', t.name, t.addr, t.removedAt].join('\n')).digest('hex');
}

export function bucketOf(key: string): number {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(0, slash);
  return createHash('sha256').update(name).digest()[0] as number;
}

function xorInto(acc: Uint32Array, at: number, digest: string): void {
  acc[at] = ((acc[at] as number) ^ parseInt(digest.slice(0, 8), 16)) >>> 0;
  acc[at + 1] = ((acc[at + 1] as number) ^ parseInt(digest.slice(8, 16), 16)) >>> 0;
}

const hex = (hi: number, lo: number) => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

/** key → digest, per bucket, with the bucket digests kept up to date. */
export class DigestIndex {
  readonly #buckets: Array<Map<string, string>> = Array.from({ length: BUCKETS }, () => new Map());
  readonly #xor = new Uint32Array(BUCKETS * 2);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: string): string | undefined {
    return this.#buckets[bucketOf(key)]?.get(key);
  }

  set(key: string, digest: string): void {
    const b = bucketOf(key);
    const map = this.#buckets[b] as Map<string, string>;
    const old = map.get(key);
    if (old === digest) return;
    if (old !== undefined) xorInto(this.#xor, b * 2, old);
    else this.#size += 1;
    map.set(key, digest);
    xorInto(this.#xor, b * 2, digest);
  }

  delete(key: string): void {
    const b = bucketOf(key);
    const map = this.#buckets[b] as Map<string, string>;
    const old = map.get(key);
    if (old === undefined) return;
    xorInto(this.#xor, b * 2, old);
    map.delete(key);
    this.#size -= 1;
  }

  bucketDigests(): string[] {
    return Array.from({ length: BUCKETS }, (_, b) => hex(this.#xor[b * 2] as number, this.#xor[b * 2 + 1] as number));
  }

  root(): string {
    let hi = 0;
    let lo = 0;
    for (let b = 0; b < BUCKETS; b++) {
      hi = (hi ^ (this.#xor[b * 2] as number)) >>> 0;
      lo = (lo ^ (this.#xor[b * 2 + 1] as number)) >>> 0;
    }
    return hex(hi, lo);
  }

  *keys(): IterableIterator<string> {
    for (const bucket of this.#buckets) yield* bucket.keys();
  }

  entries(bucket: number): Array<[string, string]> {
    return [...(this.#buckets[bucket] ?? new Map<string, string>())];
  }
}
