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
import { SourceGroup } from './quotas.js';
import { KEY_LENGTH, keyWord } from './key-table.js';
import type { KeySubscriptions } from './subscriptions.js';

/** Above this many values a key gets an id index; below, a scan is cheaper than a Map. */
const INDEX_THRESHOLD = 16;

/** The `group` of an entry holding no value of its own: never charged, never in a heap. */
const NO_GROUP = new SourceGroup('');

/**
 * One stored value. A key's first value is not one of these but its `KeyEntry` itself (a
 * subclass): the entry carries the value's fields, so a key holding one value, the common case,
 * is one object. The expiry heaps, the quotas and storage see both through this class's fields.
 */
export class StoredValue implements HeapItem {
  // `declare`d and assigned in the constructor in one order, so that a StoredValue and a KeyEntry
  // share the layout of these fields (class fields would first define each as undefined).
  /** Position in its source group's expiry heap. */
  declare groupIndex: number;
  /** The key holding the value; cleared when the value leaves the store. */
  declare entry: KeyEntry | undefined;
  declare packed: string;
  declare type: number;
  /** Milliseconds after the storage's epoch (see storage.ts), so it stays a small integer. */
  declare expiration: number;
  /** The quota group charged with the value (meaningless while an entry holds no value itself). */
  declare group: SourceGroup;

  constructor(packed: string, type: number, expiration: number, entry: KeyEntry | undefined, group: SourceGroup) {
    this.groupIndex = -1;
    this.entry = entry;
    this.packed = packed;
    this.type = type;
    this.expiration = expiration;
    this.group = group;
  }

  /**
   * The value's id, read from its packed bytes rather than kept beside them: a uint64 held as a
   * bigint costs 24 bytes plus its field on every stored value. An edit keeps the id, so the
   * bytes always carry the id the value was stored under.
   */
  get id(): bigint {
    return idOfPacked(this.packed);
  }
}

/** The id in a value's packed bytes (0 if they no longer decode, which storage never keeps). */
export function idOfPacked(packed: string): bigint {
  return packedId(packed) ?? decodePacked(packed)?.id ?? 0n;
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
 * Most keys hold a single value (a device's announcement, a message) and nobody listens to them.
 * The key's first value is therefore held in the entry's own StoredValue fields (`entry === this`
 * while it is held): one object per such key instead of an entry and a record (~70 bytes, one
 * object fewer for the scavenger to copy twice and for every full GC to mark, one pointer fewer
 * to follow on a put). Further values are StoredValue records in `rest`, held directly while
 * there is one, in an array from the second on. Values stay in the order they were stored: once
 * the entry's own value has gone, a new value joins `rest` unless the key holds none at all.
 */
export class KeyEntry extends StoredValue {
  /** The values beyond the entry's own, oldest first. */
  declare private rest: StoredValue | StoredValue[] | undefined;
  declare byId: Map<bigint, StoredValue> | undefined;
  /** Remote and local subscriptions, created on the first one. */
  declare subs: KeySubscriptions | undefined;
  /** The source group charged with this key (see quotas.ts). */
  declare owner: SourceGroup | undefined;
  /**
   * The key's bytes as five big-endian 32-bit words (see key-table.ts): the same 40 bytes as the
   * key as a string and its pointer, and a lookup compares them without loading another object.
   */
  declare readonly w0: number;
  declare readonly w1: number;
  declare readonly w2: number;
  declare readonly w3: number;
  declare readonly w4: number;
  /** The whole key as a latin1 string when it is not 20 bytes long (only local callers); else undefined. */
  declare readonly odd: string | undefined;

  /** `key`: the key's bytes, or the same as a latin1 string. */
  constructor(key: InfoHash | string) {
    super('', 0, 0, undefined, NO_GROUP);
    this.rest = undefined;
    this.byId = undefined;
    this.subs = undefined;
    this.owner = undefined;
    const bytes = typeof key === 'string' ? Buffer.from(key, 'latin1') : key;
    this.w0 = keyWord(bytes, 0);
    this.w1 = keyWord(bytes, 4);
    this.w2 = keyWord(bytes, 8);
    this.w3 = keyWord(bytes, 12);
    this.w4 = keyWord(bytes, 16);
    this.odd = bytes.length === KEY_LENGTH ? undefined : latin1(bytes);
  }

  /** The key's length in bytes. */
  get keyLength(): number {
    return this.odd === undefined ? KEY_LENGTH : this.odd.length;
  }

  /** The key's bytes, in a fresh array. */
  key(): InfoHash {
    if (this.odd !== undefined) return Uint8Array.from(Buffer.from(this.odd, 'latin1'));
    const k = new Uint8Array(KEY_LENGTH);
    const words = [this.w0, this.w1, this.w2, this.w3, this.w4];
    for (let i = 0; i < KEY_LENGTH; i++) k[i] = (words[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
    return k;
  }

  /** Whether `key` is this entry's key, once its first 20 bytes matched the words. */
  sameKey(key: InfoHash): boolean {
    const odd = this.odd;
    if (odd === undefined) return key.length === KEY_LENGTH;
    if (key.length !== odd.length) return false;
    for (let i = KEY_LENGTH; i < key.length; i++) if (key[i] !== odd.charCodeAt(i)) return false;
    return true;
  }

  /** True while the entry holds a value in its own fields. */
  get holdsOwn(): boolean {
    return this.entry === this;
  }

  /**
   * Stores a new value under the key: in the entry's own fields when the key holds no value,
   * else as a record after the others. Returns the value as storage tracks it.
   */
  store(packed: string, type: number, expiration: number, group: SourceGroup): StoredValue {
    if (this.entry !== this && this.rest === undefined) {
      this.packed = packed;
      this.type = type;
      this.expiration = expiration;
      this.group = group;
      this.groupIndex = -1;
      this.entry = this;
      this.byId?.set(this.id, this);
      return this;
    }
    const v = new StoredValue(packed, type, expiration, this, group);
    this.add(v);
    return v;
  }

  /** Clears the entry's own value fields once that value has left (its packed string is freed). */
  releaseOwn(): void {
    if (this.entry === this) return;
    this.packed = '';
    this.group = NO_GROUP;
  }

  /** How many values the key holds. */
  get count(): number {
    const r = this.rest;
    const own = this.entry === this ? 1 : 0;
    return r === undefined ? own : r instanceof StoredValue ? own + 1 : own + r.length;
  }

  /** The values, in a fresh array the caller may keep or change. */
  list(): StoredValue[] {
    const r = this.rest;
    const out: StoredValue[] = this.entry === this ? [this] : [];
    if (r instanceof StoredValue) out.push(r);
    else if (r !== undefined) for (const v of r) out.push(v);
    return out;
  }

  /** The oldest value still held. */
  first(): StoredValue | undefined {
    if (this.entry === this) return this;
    const r = this.rest;
    return r instanceof StoredValue ? r : r?.[0];
  }

  some(test: (v: StoredValue) => boolean): boolean {
    if (this.entry === this && test(this)) return true;
    const r = this.rest;
    return r === undefined ? false : r instanceof StoredValue ? test(r) : r.some(test);
  }

  find(id: bigint): StoredValue | undefined {
    if (this.byId !== undefined) return this.byId.get(id);
    if (this.entry === this && this.id === id) return this;
    const r = this.rest;
    if (r === undefined) return undefined;
    if (r instanceof StoredValue) return r.id === id ? r : undefined;
    for (const v of r) if (v.id === id) return v;
    return undefined;
  }

  /** Adds a value record after the ones held (see `store` for a key's own value). */
  add(v: StoredValue): void {
    const r = this.rest;
    if (r === undefined) this.rest = v;
    else if (r instanceof StoredValue) this.rest = [r, v];
    else r.push(v);
    if (this.byId !== undefined) this.byId.set(v.id, v);
    else if (this.count > INDEX_THRESHOLD) this.byId = new Map(this.list().map((x) => [x.id, x]));
  }

  /**
   * Takes a value out of the key. For the entry's own value, the caller clears `entry` and then
   * calls `releaseOwn` once it has read what it needs (cost, id) from the fields.
   */
  remove(v: StoredValue): void {
    const r = this.rest;
    if (v === this) {
      // Nothing to unlink: the caller marks the entry's own value gone.
    } else if (r === v) this.rest = undefined;
    else if (Array.isArray(r)) {
      const i = r.indexOf(v);
      if (i >= 0) r.splice(i, 1);
      // Back to the compact form once one record is left.
      if (r.length === 1) this.rest = r[0];
      else if (r.length === 0) this.rest = undefined;
    }
    this.byId?.delete(v.id);
  }

  /** True when at most `limit` values are held, so that a scan of them is cheap. */
  small(limit = INDEX_THRESHOLD): boolean {
    return this.count <= limit;
  }

  get empty(): boolean {
    return this.entry !== this && this.rest === undefined && (this.subs === undefined || this.subs.empty);
  }
}

/**
 * Node's native latin1 conversions, called on a plain Uint8Array: `Buffer.from(view)` first cost
 * a Buffer object per call, about 300 ns of a put's key and value strings (Node has had both
 * methods on Buffer.prototype since its first releases; the fallback keeps any other runtime working).
 */
const nativeLatin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;
const nativeLatin1Write = (Buffer.prototype as unknown as { latin1Write?: (this: Uint8Array, s: string, offset: number, length: number) => number })
  .latin1Write;

function latin1(bytes: Uint8Array): string {
  if (nativeLatin1Slice !== undefined) return nativeLatin1Slice.call(bytes, 0, bytes.length);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export const keyOf = (entry: KeyEntry): InfoHash => entry.key();

/** The value's packed bytes copied into a heap string (never a view on a received datagram). */
export function packedString(v: Value): string {
  return latin1(v.packed);
}

/** The stored value decoded again, or undefined if its bytes no longer decode. */
export function decodeStored(v: StoredValue): Value | undefined {
  return decodePacked(v.packed);
}

function decodePacked(packed: string): Value | undefined {
  // Into a plain Uint8Array of its own (a Buffer might be a view on Node's shared pool).
  const bytes = new Uint8Array(packed.length);
  if (nativeLatin1Write !== undefined) nativeLatin1Write.call(bytes, packed, 0, bytes.length);
  else Buffer.from(bytes.buffer).write(packed, 'latin1');
  const r = decodeValue(bytes);
  return r.ok ? r.value : undefined;
}
