/**
 * How stored values are held in memory: one small record per value and one entry per key.
 *
 * A stored value is its id, its type, its expiration, and its packed bytes as a latin1 string.
 * Strings live inside the V8 heap with a 16-byte header, where a Uint8Array costs a typed-array
 * object, an ArrayBuffer object and an off-heap allocation (about 250 bytes before the data).
 * Everything else (body, owner, signature) is decoded from the packed bytes when a get, an edit or
 * a filter needs it.
 */
import { decodeValue } from '../codec/value.js';
import { latin1Bytes, latin1Text } from '../codec/latin1.js';
import type { InfoHash, Value } from '../codec/types.js';
import type { HeapItem } from './expiry-heap.js';
import type { SourceGroup } from './quotas.js';
import type { KeySubscriptions } from './subscriptions.js';

/** Above this many values a key gets an id index; below, a scan is cheaper than a Map. */
const INDEX_THRESHOLD = 16;

export class StoredValue implements HeapItem {
  /** Position in its source group's expiry heap. */
  groupIndex = -1;
  /** Cleared when the value leaves the store. */
  entry: KeyEntry | undefined;

  constructor(
    public packed: string,
    public type: number,
    /** Milliseconds after the storage's epoch (see storage.ts), so it stays a small integer. */
    public expiration: number,
    entry: KeyEntry,
    public group: SourceGroup,
  ) {
    this.entry = entry;
  }

  /**
   * The value's id, read from its packed bytes rather than kept beside them: a uint64 held as a
   * bigint costs 24 bytes plus its field on every stored value. An edit keeps the id, so the
   * bytes always carry the id the value was stored under.
   */
  get id(): bigint {
    return packedId(this.packed) ?? decodeStored(this)?.id ?? 0n;
  }
}

/**
 * The `id` of a packed value when it is the map's first entry (as OpenDHT and our encoder write
 * it), without decoding the rest; undefined for any other layout.
 */
export function packedId(p: string): bigint | undefined {
  const head = p.charCodeAt(0);
  if (head < 0x80 || head > 0x8f || p.charCodeAt(1) !== 0xa2 || p.charCodeAt(2) !== 0x69 || p.charCodeAt(3) !== 0x64) return undefined;
  const tag = p.charCodeAt(4);
  const be = (from: number, n: number): number => {
    let x = 0;
    for (let i = 0; i < n; i++) x = x * 256 + p.charCodeAt(from + i);
    return x;
  };
  if (tag <= 0x7f) return BigInt(tag);
  if (p.length < 6) return undefined;
  if (tag === 0xcc) return BigInt(be(5, 1));
  if (tag === 0xcd && p.length >= 7) return BigInt(be(5, 2));
  if (tag === 0xce && p.length >= 9) return BigInt(be(5, 4));
  if (tag === 0xcf && p.length >= 13) return (BigInt(be(5, 4)) << 32n) | BigInt(be(9, 4));
  return undefined;
}

/**
 * Everything stored under one key: its values and its subscriptions.
 *
 * Most keys hold a single value (a device's announcement, a message), so that value is held
 * directly; an array appears with the second one. A one-element array costs 56 bytes (the array
 * object and its backing store), an eighth of what a stored 64-byte value costs in all.
 */
export class KeyEntry {
  private held: StoredValue | StoredValue[] | undefined = undefined;
  byId: Map<bigint, StoredValue> | undefined = undefined;
  /** Remote and local subscriptions, created on the first one. */
  subs: KeySubscriptions | undefined = undefined;
  /** The source group charged with this key (see quotas.ts). */
  owner: SourceGroup | undefined = undefined;

  /** `name` is the key's 20 bytes as a latin1 string (the map key). */
  constructor(readonly name: string) {}

  /** How many values the key holds. */
  get count(): number {
    const h = this.held;
    return h === undefined ? 0 : h instanceof StoredValue ? 1 : h.length;
  }

  /** The values, in a fresh array the caller may keep or change. */
  list(): StoredValue[] {
    const h = this.held;
    return h === undefined ? [] : h instanceof StoredValue ? [h] : h.slice();
  }

  /** The oldest value still held. */
  first(): StoredValue | undefined {
    const h = this.held;
    return h instanceof StoredValue ? h : h?.[0];
  }

  some(test: (v: StoredValue) => boolean): boolean {
    const h = this.held;
    return h === undefined ? false : h instanceof StoredValue ? test(h) : h.some(test);
  }

  find(id: bigint): StoredValue | undefined {
    if (this.byId !== undefined) return this.byId.get(id);
    const h = this.held;
    if (h === undefined) return undefined;
    if (h instanceof StoredValue) return h.id === id ? h : undefined;
    for (const v of h) if (v.id === id) return v;
    return undefined;
  }

  add(v: StoredValue): void {
    const h = this.held;
    if (h === undefined) this.held = v;
    else if (h instanceof StoredValue) this.held = [h, v];
    else h.push(v);
    if (this.byId !== undefined) this.byId.set(v.id, v);
    else if (Array.isArray(this.held) && this.held.length > INDEX_THRESHOLD) this.byId = new Map(this.held.map((x) => [x.id, x]));
  }

  remove(v: StoredValue): void {
    const h = this.held;
    if (h === v) this.held = undefined;
    else if (Array.isArray(h)) {
      const i = h.indexOf(v);
      if (i >= 0) h.splice(i, 1);
      // Back to the compact form once one value is left.
      if (h.length === 1) this.held = h[0];
      else if (h.length === 0) this.held = undefined;
    }
    this.byId?.delete(v.id);
  }

  /** True when at most `limit` values are held, so that a scan of them is cheap. */
  small(limit = INDEX_THRESHOLD): boolean {
    return this.count <= limit;
  }

  get empty(): boolean {
    return this.held === undefined && (this.subs === undefined || this.subs.empty);
  }
}

export const nameOf = (key: InfoHash): string => latin1Text(key);
export const keyOf = (entry: KeyEntry): InfoHash => latin1Bytes(entry.name);

/**
 * The value's packed bytes as a heap string (never a view on a received datagram): the string a
 * value read by the fast request path already holds, else a copy of its bytes.
 */
export function packedString(v: Value): string {
  return v.packedText ?? latin1Text(v.packed);
}

/**
 * Whether `v`'s packed bytes are exactly the stored string's, without a copy of either: the same
 * bytes are the same content, so a re-put is a refresh with no decoding (a signed value was
 * decoded again, with a copy of each of its fields, to compare it).
 */
export function samePacked(stored: string, v: Value): boolean {
  if (v.packedText !== undefined) return v.packedText === stored;
  const b = v.packed;
  if (b.length !== stored.length) return false;
  for (let i = 0; i < b.length; i++) if (b[i] !== stored.charCodeAt(i)) return false;
  return true;
}

/** The stored value decoded again, or undefined if its bytes no longer decode. */
export function decodeStored(v: StoredValue): Value | undefined {
  // Into a plain Uint8Array of its own (a Buffer might be a view on Node's shared pool).
  const r = decodeValue(latin1Bytes(v.packed));
  return r.ok ? r.value : undefined;
}
