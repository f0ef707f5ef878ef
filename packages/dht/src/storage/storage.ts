/**
 * The value store of a DHT node: per-key value sets with per-type expiry, OpenDHT's store and
 * edit policies, bounded memory with per-source accounting, and listener subscriptions.
 *
 * Memory layout. A stored value is one small record: its id, its type, its expiration, and its
 * packed bytes as a latin1 string. Strings live inside the V8 heap with a 16-byte header, where a
 * Uint8Array costs a typed-array object, an ArrayBuffer object and an off-heap allocation (about
 * 250 bytes before the data). Everything else (body, owner, signature) is decoded from the packed
 * bytes when a get, an edit or a filter needs it.
 *
 * Limits and eviction. Puts that would make a key hold more than `maxValuesPerKey` values, or the
 * store hold more than `maxKeys` keys, are refused. Memory is accounted per value as its packed
 * size plus `valueOverheadBytes`, and charged to the quota group of the source that put it (its
 * IPv4 address, or its IPv6 /64). A value is always stored first; then, while its group is over
 * `maxBytesPerSource`/`maxValuesPerSource`, the group's soonest-expiring value is evicted; then,
 * while the store is over `maxBytes`/`maxValues`, the soonest-expiring value of the group using the
 * most bytes is evicted (the node's own values, `LOCAL_SOURCE`, only once no remote group is
 * left). This is OpenDHT's policy (largest source IP first, oldest expiry first), with IPv6
 * grouped per /64 and the memory estimate in place of OpenDHT's payload-only count. Evicted values
 * are reported to listeners as expired and counted in `stats().evicted`; a put whose own value is
 * evicted at once is reported as rejected with reason `storage-full`.
 */

import { decodeValue } from '../codec/value.js';
import { toHex } from '../codec/infohash.js';
import type { InfoHash, Query, SelectedFields, Value } from '../codec/types.js';
import { ExpiryHeap, type HeapItem } from './expiry-heap.js';
import { editRejection, sameContent, storeRejection, valueType, type RejectReason } from './policy.js';
import { fieldEntries, matchesWhere, selectedFields, type Candidate } from './query.js';
import { LOCAL_SOURCE, sourceGroup } from './source-group.js';
import type {
  LocalListener,
  Notification,
  PutContext,
  PutOutcome,
  RefreshResult,
  Storage,
  StorageEvent,
  StorageStats,
  Subscriber,
} from './types.js';
import { lifetimeMs } from './value-types.js';

export interface StorageOptions {
  /** Largest value accepted, in OpenDHT's size accounting (§10.5). @default 65536 */
  maxValueSize?: number;
  /** Values per key; further new ids are refused (OpenDHT: 65536). @default 65536 */
  maxValuesPerKey?: number;
  /** Values in total; over it, values are evicted. @default 262144 */
  maxValues?: number;
  /** Estimated memory of all values (packed bytes + overhead); over it, values are evicted. @default 134217728 (128 MiB) */
  maxBytes?: number;
  /** Keys holding values or subscriptions; a put or listen needing a new key beyond it is refused. @default 262144 */
  maxKeys?: number;
  /** Estimated memory charged to one source group (IPv4 address or IPv6 /64). @default 67108864 (64 MiB) */
  maxBytesPerSource?: number;
  /** Values charged to one source group. @default 131072 */
  maxValuesPerSource?: number;
  /** Remote subscriptions in total. @default 16384 */
  maxListeners?: number;
  /** Remote subscriptions on one key. @default 256 */
  maxListenersPerKey?: number;
  /**
   * Remote subscriptions from one IP address: one host (one token, many sids) must not take every
   * slot of the node. A Jami client listens to a few keys per contact. @default 2048
   */
  maxListenersPerAddress?: number;
  /** Remote subscriptions from one IP address on one key (a host runs one or a few nodes). @default 16 */
  maxListenersPerKeyPerAddress?: number;
  /** A subscription is dropped this long after its last refresh (OpenDHT: 10 min). @default 600000 */
  listenerLifetimeMs?: number;
  /**
   * Memory a stored value costs beyond its packed bytes (record, id, string header, index
   * entries), measured on Node 20 x64; `test/storage-memory.test.ts` checks it stays within -30 %..+25 % of the real cost. @default 360
   */
  valueOverheadBytes?: number;
}

export interface StorageComponents {
  clock: { now(): number };
  logger?: { warn(obj: object, msg: string): void };
}

export const STORAGE_DEFAULTS: Required<StorageOptions> = {
  maxValueSize: 65536,
  maxValuesPerKey: 65536,
  maxValues: 262144,
  maxBytes: 128 * 1024 * 1024,
  maxKeys: 262144,
  maxBytesPerSource: 64 * 1024 * 1024,
  maxValuesPerSource: 131072,
  maxListeners: 16384,
  maxListenersPerKey: 256,
  maxListenersPerAddress: 2048,
  maxListenersPerKeyPerAddress: 16,
  listenerLifetimeMs: 10 * 60_000,
  valueOverheadBytes: 360,
};

/** Above this many values a key gets an id index; below, a scan is cheaper than a Map. */
const INDEX_THRESHOLD = 16;

class StoredValue implements HeapItem {
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

interface Subscription {
  subscriber: Subscriber;
  refreshedAt: number;
}

interface LocalSubscription {
  query: Query | undefined;
  callback: LocalListener;
}

class KeyEntry {
  values: StoredValue[] = [];
  byId: Map<bigint, StoredValue> | undefined = undefined;
  remote: Map<string, Subscription> | undefined = undefined;
  local: Set<LocalSubscription> | undefined = undefined;

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

  get empty(): boolean {
    return this.values.length === 0 && (this.remote?.size ?? 0) === 0 && (this.local?.size ?? 0) === 0;
  }
}

class SourceGroup {
  bytes = 0;
  count = 0;
  readonly heap = new ExpiryHeap<StoredValue>({ get: (v) => v.groupIndex, set: (v, i) => (v.groupIndex = i) });
  constructor(readonly name: string) {}
}

type LocalDelivery = [LocalListener, StorageEvent];

export function createStorage(options: StorageOptions, components: StorageComponents): Storage {
  const opts: Required<StorageOptions> = { ...STORAGE_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (opts as Record<string, number>)[k] = v;
  const { clock, logger } = components;

  const keys = new Map<string, KeyEntry>();
  const groups = new Map<string, SourceGroup>();
  const expiry = new ExpiryHeap<StoredValue>({ get: (v) => v.heapIndex, set: (v, i) => (v.heapIndex = i) });
  /** Entries with remote subscriptions, for the subscription sweep. */
  const listened = new Set<KeyEntry>();
  /** Remote subscriptions per listener IP address. */
  const listenersByAddress = new Map<string, number>();

  let totalBytes = 0;
  let totalValues = 0;
  let totalListeners = 0;
  let totalLocal = 0;
  let evicted = 0;
  let expired = 0;
  let listenersExpired = 0;
  let localListenerErrors = 0;
  const rejected: Record<string, number> = {};

  function countAddress(address: string, delta: 1 | -1): void {
    const n = (listenersByAddress.get(address) ?? 0) + delta;
    if (n > 0) listenersByAddress.set(address, n);
    else listenersByAddress.delete(address);
  }

  const reject = (reason: string): void => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
  };

  const nameOf = (key: InfoHash): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
  const keyOf = (entry: KeyEntry): InfoHash => Uint8Array.from(Buffer.from(entry.name, 'latin1'));
  const costOf = (v: StoredValue): number => v.packed.length + opts.valueOverheadBytes;

  function decode(v: StoredValue): Value | undefined {
    // Into a plain Uint8Array of its own (a Buffer might be a view on Node's shared pool).
    const bytes = new Uint8Array(v.packed.length);
    Buffer.from(bytes.buffer).write(v.packed, 'latin1');
    const r = decodeValue(bytes);
    return r.ok ? r.value : undefined;
  }

  function candidateOf(v: StoredValue): Candidate {
    let memo: Value | undefined;
    return { id: v.id, type: v.type, decoded: () => (memo ??= decode(v)) };
  }

  function candidateOfValue(v: Value): Candidate {
    return { id: v.id, type: valueType(v), decoded: () => v };
  }

  function groupFor(source: string): SourceGroup {
    const name = sourceGroup(source);
    let g = groups.get(name);
    if (g === undefined) {
      g = new SourceGroup(name);
      groups.set(name, g);
    }
    return g;
  }

  function charge(v: StoredValue, g: SourceGroup): void {
    v.group = g;
    g.bytes += costOf(v);
    g.count++;
    g.heap.push(v);
  }

  function discharge(v: StoredValue): void {
    const g = v.group;
    g.bytes -= costOf(v);
    g.count--;
    g.heap.remove(v);
    if (g.count === 0) groups.delete(g.name);
  }

  /** Takes a value out of every structure (the key entry itself is cleaned up by the caller). */
  function removeValue(v: StoredValue): void {
    const entry = v.entry;
    if (entry === undefined) return;
    entry.remove(v);
    v.entry = undefined;
    expiry.remove(v);
    discharge(v);
    totalBytes -= costOf(v);
    totalValues--;
  }

  /** Removes a value and records its id under its key, for the listeners' `expired` notifications. */
  function removeInto(v: StoredValue, removed: Map<KeyEntry, bigint[]>): void {
    const entry = v.entry as KeyEntry;
    removeValue(v);
    const ids = removed.get(entry);
    if (ids) ids.push(v.id);
    else removed.set(entry, [v.id]);
  }

  function dropIfEmpty(entry: KeyEntry): void {
    if (entry.empty && keys.get(entry.name) === entry) {
      keys.delete(entry.name);
      listened.delete(entry);
    }
  }

  function largestGroup(): SourceGroup | undefined {
    let best: SourceGroup | undefined;
    let local: SourceGroup | undefined;
    for (const g of groups.values()) {
      if (g.name === LOCAL_SOURCE) local = g;
      else if (best === undefined || g.bytes > best.bytes) best = g;
    }
    return best ?? local;
  }

  /** Evicts until `group` and the whole store are within their limits; returns ids per entry. */
  function enforceLimits(group: SourceGroup, removed: Map<KeyEntry, bigint[]>): void {
    const evictFrom = (g: SourceGroup): boolean => {
      const victim = g.heap.peek();
      if (victim === undefined) return false;
      removeInto(victim, removed);
      evicted++;
      return true;
    };
    while ((group.bytes > opts.maxBytesPerSource || group.count > opts.maxValuesPerSource) && evictFrom(group));
    while (totalBytes > opts.maxBytes || totalValues > opts.maxValues) {
      const g = largestGroup();
      if (g === undefined || !evictFrom(g)) break;
    }
  }

  function expiredNotifications(removed: Map<KeyEntry, bigint[]>, out: Notification[], local: LocalDelivery[]): void {
    for (const [entry, ids] of removed) {
      tellAll(entry, keyOf(entry), { kind: 'expired', ids }, out, local);
      dropIfEmpty(entry);
    }
  }

  /** Queue an event for every subscriber of the entry (refreshed and expired are not filtered, as in OpenDHT). */
  function tellAll(entry: KeyEntry, key: InfoHash, event: StorageEvent, out: Notification[], local: LocalDelivery[]): void {
    if (entry.remote) for (const s of entry.remote.values()) out.push({ subscriber: s.subscriber, key, event });
    if (entry.local) for (const l of entry.local) local.push([l.callback, event]);
  }

  /** Queue a new or edited value for the subscribers whose WHERE it satisfies. */
  function tellValue(entry: KeyEntry, key: InfoHash, value: Value, out: Notification[], local: LocalDelivery[]): void {
    const event: StorageEvent = { kind: 'values', values: [value] };
    const c = candidateOfValue(value);
    if (entry.remote) {
      for (const s of entry.remote.values()) {
        const where = s.subscriber.query?.where;
        if (where === undefined || matchesWhere(c, where)) out.push({ subscriber: s.subscriber, key, event });
      }
    }
    if (entry.local) {
      for (const l of entry.local) {
        if (l.query === undefined || matchesWhere(c, l.query.where)) local.push([l.callback, event]);
      }
    }
  }

  function deliver(local: LocalDelivery[]): void {
    for (const [callback, event] of local) {
      try {
        callback(event);
      } catch (err) {
        localListenerErrors++;
        logger?.warn({ err }, 'storage: local listener threw');
      }
    }
  }

  function matching(entry: KeyEntry, query: Query | undefined): StoredValue[] {
    const where = query?.where;
    if (where === undefined || where.length === 0) return entry.values.slice();
    return entry.values.filter((v) => matchesWhere(candidateOf(v), where));
  }

  function decodedAll(values: StoredValue[]): Value[] {
    const out: Value[] = [];
    for (const v of values) {
      const d = decode(v);
      if (d !== undefined) out.push(d);
    }
    return out;
  }

  function refreshValue(entry: KeyEntry, key: InfoHash, v: StoredValue, now: number, out: Notification[], local: LocalDelivery[]): void {
    const extended = now + lifetimeMs(v.type);
    if (extended > v.expiration) {
      v.expiration = extended;
      expiry.update(v);
      v.group.heap.update(v);
    }
    tellAll(entry, key, { kind: 'refreshed', ids: [v.id] }, out, local);
  }

  function refused(reason: RejectReason): { outcome: PutOutcome; notifications: Notification[] } {
    reject(reason);
    return { outcome: { result: 'rejected', reason }, notifications: [] };
  }

  function put(key: InfoHash, value: Value, ctx: PutContext): { outcome: PutOutcome; notifications: Notification[] } {
    const now = clock.now();
    if (value.id === 0n) return refused('invalid-id');
    const name = nameOf(key);
    let entry = keys.get(name);
    const existing = entry?.find(value.id);
    const notifications: Notification[] = [];
    const local: LocalDelivery[] = [];

    if (entry !== undefined && existing !== undefined) {
      const old = decode(existing);
      if (old !== undefined && sameContent(old, value)) {
        refreshValue(entry, key, existing, now, notifications, local);
        deliver(local);
        return { outcome: { result: 'refreshed' }, notifications };
      }
      const reason = old === undefined ? 'not-editable' : editRejection(old, value, opts.maxValueSize);
      if (reason !== undefined) return refused(reason);
      const expiration = Math.min(ctx.createdMs ?? now, now) + lifetimeMs(valueType(value));
      if (expiration <= now) return refused('expired');
      // Replace in place; the value's cost moves to the editor's group, as in OpenDHT.
      discharge(existing);
      totalBytes -= costOf(existing);
      existing.packed = packedString(value);
      existing.type = valueType(value);
      existing.expiration = expiration;
      expiry.update(existing);
      charge(existing, groupFor(ctx.source));
      totalBytes += costOf(existing);
      return finishStore(entry, key, existing, value, 'edited', notifications, local);
    }

    // Cheap limits first: a flood must not cost a signature check per datagram.
    const type = valueType(value);
    const expiration = Math.min(ctx.createdMs ?? now, now) + lifetimeMs(type);
    if (expiration <= now) return refused('expired');
    if (entry === undefined && keys.size >= opts.maxKeys) return refused('too-many-keys');
    if (entry !== undefined && entry.values.length >= opts.maxValuesPerKey) return refused('key-full');
    const reason = storeRejection(key, value, opts.maxValueSize);
    if (reason !== undefined) return refused(reason);

    if (entry === undefined) {
      entry = new KeyEntry(name);
      keys.set(name, entry);
    }
    const stored = new StoredValue(value.id, packedString(value), type, expiration, entry, groupFor(ctx.source));
    entry.add(stored);
    expiry.push(stored);
    charge(stored, stored.group);
    totalBytes += costOf(stored);
    totalValues++;
    return finishStore(entry, key, stored, value, 'stored', notifications, local);
  }

  function finishStore(
    entry: KeyEntry,
    key: InfoHash,
    stored: StoredValue,
    value: Value,
    result: 'stored' | 'edited',
    notifications: Notification[],
    local: LocalDelivery[],
  ): { outcome: PutOutcome; notifications: Notification[] } {
    const removed = new Map<KeyEntry, bigint[]>();
    enforceLimits(stored.group, removed);
    const survived = stored.entry !== undefined;
    if (survived) tellValue(entry, key, value, notifications, local);
    expiredNotifications(removed, notifications, local);
    deliver(local);
    if (!survived) {
      reject('storage-full');
      return { outcome: { result: 'rejected', reason: 'storage-full' }, notifications };
    }
    return { outcome: { result }, notifications };
  }

  function refresh(key: InfoHash, valueId: bigint): { result: RefreshResult; notifications: Notification[] } {
    const entry = keys.get(nameOf(key));
    if (entry === undefined) return { result: 'no-storage', notifications: [] };
    const v = entry.find(valueId);
    // OpenDHT also notifies listeners of an unknown id; they can do nothing with it, so we do not.
    if (v === undefined) return { result: 'unknown-value', notifications: [] };
    const notifications: Notification[] = [];
    const local: LocalDelivery[] = [];
    refreshValue(entry, key, v, clock.now(), notifications, local);
    deliver(local);
    return { result: 'refreshed', notifications };
  }

  function get(key: InfoHash, query?: Query): Value[] {
    const entry = keys.get(nameOf(key));
    return entry === undefined ? [] : decodedAll(matching(entry, query));
  }

  function getPacked(key: InfoHash, query?: Query): Value[] {
    const entry = keys.get(nameOf(key));
    if (entry === undefined) return [];
    return matching(entry, query).map((v) => ({ id: v.id, packed: Buffer.from(v.packed, 'latin1') }));
  }

  function select(key: InfoHash, query: Query): SelectedFields {
    const fields = selectedFields(query.select);
    const entry = keys.get(nameOf(key));
    const values: SelectedFields['values'] = [];
    if (entry !== undefined && fields.length > 0) {
      for (const v of decodedAll(matching(entry, query))) values.push(...fieldEntries(v, fields));
    }
    return { fields, values };
  }

  function listen(key: InfoHash, sub: Subscriber): Value[] {
    const now = clock.now();
    const name = nameOf(key);
    let entry = keys.get(name);
    const id = `${toHex(sub.node)}/${sub.socketId}`;
    const existing = entry?.remote?.get(id);
    if (existing !== undefined) {
      if (existing.subscriber.address !== sub.address) {
        countAddress(existing.subscriber.address, -1);
        countAddress(sub.address, 1);
      }
      existing.subscriber = sub;
      existing.refreshedAt = now;
      return [];
    }
    if (totalListeners >= opts.maxListeners) {
      reject('too-many-listeners');
      return [];
    }
    if ((entry?.remote?.size ?? 0) >= opts.maxListenersPerKey) {
      reject('key-listeners-full');
      return [];
    }
    if ((listenersByAddress.get(sub.address) ?? 0) >= opts.maxListenersPerAddress) {
      reject('address-listeners-full');
      return [];
    }
    if (entry?.remote !== undefined) {
      let same = 0;
      for (const s of entry.remote.values()) if (s.subscriber.address === sub.address) same++;
      if (same >= opts.maxListenersPerKeyPerAddress) {
        reject('key-address-listeners-full');
        return [];
      }
    }
    if (entry === undefined) {
      if (keys.size >= opts.maxKeys) {
        reject('too-many-keys');
        return [];
      }
      entry = new KeyEntry(name);
      keys.set(name, entry);
    }
    entry.remote ??= new Map();
    entry.remote.set(id, { subscriber: sub, refreshedAt: now });
    listened.add(entry);
    totalListeners++;
    countAddress(sub.address, 1);
    return decodedAll(matching(entry, sub.query));
  }

  function unlisten(key: InfoHash, node: InfoHash, socketId: number): boolean {
    const entry = keys.get(nameOf(key));
    const id = `${toHex(node)}/${socketId}`;
    const s = entry?.remote?.get(id);
    if (entry?.remote === undefined || s === undefined) return false;
    entry.remote.delete(id);
    countAddress(s.subscriber.address, -1);
    totalListeners--;
    if (entry.remote.size === 0) listened.delete(entry);
    dropIfEmpty(entry);
    return true;
  }

  function listenLocal(key: InfoHash, query: Query | undefined, callback: LocalListener): () => void {
    const name = nameOf(key);
    let entry = keys.get(name);
    if (entry === undefined) {
      entry = new KeyEntry(name);
      keys.set(name, entry);
    }
    const sub: LocalSubscription = { query, callback };
    entry.local ??= new Set();
    entry.local.add(sub);
    totalLocal++;
    const current = decodedAll(matching(entry, query));
    if (current.length > 0) deliver([[callback, { kind: 'values', values: current }]]);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const e = keys.get(name);
      if (e?.local?.delete(sub) === true) {
        totalLocal--;
        dropIfEmpty(e);
      }
    };
  }

  function tick(): Notification[] {
    const now = clock.now();
    const notifications: Notification[] = [];
    const local: LocalDelivery[] = [];
    const removed = new Map<KeyEntry, bigint[]>();
    for (let v = expiry.peek(); v !== undefined && v.expiration <= now; v = expiry.peek()) {
      removeInto(v, removed);
      expired++;
    }
    expiredNotifications(removed, notifications, local);

    for (const entry of listened) {
      const remote = entry.remote as Map<string, Subscription>;
      for (const [id, s] of remote) {
        if (now - s.refreshedAt >= opts.listenerLifetimeMs) {
          remote.delete(id);
          countAddress(s.subscriber.address, -1);
          totalListeners--;
          listenersExpired++;
        }
      }
      if (remote.size === 0) listened.delete(entry);
      dropIfEmpty(entry);
    }
    deliver(local);
    return notifications;
  }

  return {
    put,
    refresh,
    get,
    getPacked,
    select,
    listen,
    unlisten,
    listenLocal,
    listenerCount: (key) => (key === undefined ? totalListeners : (keys.get(nameOf(key))?.remote?.size ?? 0)),
    valueCount: (key) => keys.get(nameOf(key))?.values.length ?? 0,
    keys: () => [...keys.values()].map(keyOf),
    tick,
    stats: (): StorageStats => ({
      keys: keys.size,
      values: totalValues,
      bytes: totalBytes,
      listeners: totalListeners,
      localListeners: totalLocal,
      sources: groups.size,
      rejected: { ...rejected },
      evicted,
      expired,
      listenersExpired,
      localListenerErrors,
    }),
  };
}

/** The value's packed bytes copied into a heap string (never a view on a received datagram). */
function packedString(v: Value): string {
  return Buffer.from(v.packed.buffer, v.packed.byteOffset, v.packed.byteLength).toString('latin1');
}
