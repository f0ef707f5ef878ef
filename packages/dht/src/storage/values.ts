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
import type { InfoHash, Value } from '../codec/types.js';
import type { HeapItem } from './expiry-heap.js';
import type { SourceGroup } from './quotas.js';
import type { KeySubscriptions } from './subscriptions.js';

/** Above this many values a key gets an id index; below, a scan is cheaper than a Map. */
const INDEX_THRESHOLD = 16;

export class StoredValue implements HeapItem {
  /** Position in the store-wide expiry heap. */
  heapIndex = -1;
  /** Position in its source group's expiry heap. */
  groupIndex = -1;
  /** Cleared when the value leaves the store. */
  entry: KeyEntry | undefined;

  constructor(
    readonly id: bigint,
    public packed: string,
    public type: number,
    public expiration: number,
    entry: KeyEntry,
    public group: SourceGroup,
  ) {
    this.entry = entry;
  }
}

/** Everything stored under one key: its values and its subscriptions. */
export class KeyEntry {
  values: StoredValue[] = [];
  byId: Map<bigint, StoredValue> | undefined = undefined;
  /** Remote and local subscriptions, created on the first one. */
  subs: KeySubscriptions | undefined = undefined;
  /** The source group charged with this key (see quotas.ts). */
  owner: SourceGroup | undefined = undefined;

  /** `name` is the key's 20 bytes as a latin1 string (the map key). */
  constructor(readonly name: string) {}

  find(id: bigint): StoredValue | undefined {
    if (this.byId !== undefined) return this.byId.get(id);
    for (const v of this.values) if (v.id === id) return v;
    return undefined;
  }

  add(v: StoredValue): void {
    // A literal gives an exact-size backing store; push on an empty array reserves 17 slots,
    // which for the common single-value key would cost more than the value itself.
    if (this.values.length === 0) this.values = [v];
    else this.values.push(v);
    if (this.byId !== undefined) this.byId.set(v.id, v);
    else if (this.values.length > INDEX_THRESHOLD) this.byId = new Map(this.values.map((x) => [x.id, x]));
  }

  remove(v: StoredValue): void {
    const i = this.values.indexOf(v);
    if (i >= 0) this.values.splice(i, 1);
    this.byId?.delete(v.id);
  }

  /** True when at most `limit` values are held, so that a scan of them is cheap. */
  small(limit = INDEX_THRESHOLD): boolean {
    return this.values.length <= limit;
  }

  get empty(): boolean {
    return this.values.length === 0 && (this.subs === undefined || this.subs.empty);
  }
}

export const nameOf = (key: InfoHash): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
export const keyOf = (entry: KeyEntry): InfoHash => Uint8Array.from(Buffer.from(entry.name, 'latin1'));

/** The value's packed bytes copied into a heap string (never a view on a received datagram). */
export function packedString(v: Value): string {
  return Buffer.from(v.packed.buffer, v.packed.byteOffset, v.packed.byteLength).toString('latin1');
}

/** The stored value decoded again, or undefined if its bytes no longer decode. */
export function decodeStored(v: StoredValue): Value | undefined {
  // Into a plain Uint8Array of its own (a Buffer might be a view on Node's shared pool).
  const bytes = new Uint8Array(v.packed.length);
  Buffer.from(bytes.buffer).write(v.packed, 'latin1');
  const r = decodeValue(bytes);
  return r.ok ? r.value : undefined;
}
