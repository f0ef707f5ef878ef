/**
 * The value store of a DHT node: per-key value sets with per-type expiry and OpenDHT's store and
 * edit policies. How values sit in memory is in values.ts, who may hold what and whose values
 * are evicted in quotas.ts, who is told about changes in subscriptions.ts.
 *
 * Puts that would make a key hold more than `maxValuesPerKey` values are refused; a put needing a
 * new key goes through the key admission of quotas.ts. Evicted values are reported to
 * subscribers as expired and counted in `stats().evicted`; a put whose own value is evicted at
 * once is reported as rejected with reason `storage-full`.
 */
import type { InfoHash, Query, SelectedFields, Value } from '../codec/types.js';
import { editRejection, sameContent, storeRejection, valueType, type RejectReason } from './policy.js';
import { fieldEntries, matchesWhere, selectedFields, type Candidate } from './query.js';
import { Quotas } from './quotas.js';
import { Subscriptions } from './subscriptions.js';
import { LOCAL_SOURCE } from '../routing/source-group.js';
import type { LocalListener, Notification, PutContext, PutOutcome, RefreshResult, StorageStats, Subscriber, ValueStore } from './types.js';
import { lifetimeMs } from './value-types.js';
import { latin1Bytes } from '../codec/latin1.js';
import { decodeStored, KeyEntry, keyOf, nameOf, packedString, samePacked, StoredValue } from './values.js';

export interface StorageOptions {
  /** Largest value accepted, in OpenDHT's size accounting (§10.5). @default 65536 */
  maxValueSize?: number;
  /** Values per key; further new ids are refused (OpenDHT: 65536). @default 65536 */
  maxValuesPerKey?: number;
  /** Values in total; over it, values are evicted. @default 262144 */
  maxValues?: number;
  /** Estimated memory of all values (packed bytes + overhead); over it, values are evicted. @default 134217728 (128 MiB) */
  maxBytes?: number;
  /** Keys holding values or subscriptions; when full, a newcomer's key evicts from the largest key holder, else it is refused. @default 262144 */
  maxKeys?: number;
  /** Keys charged to one source group; a new key beyond it is refused. @default 32768 (an eighth of `maxKeys`' default) */
  maxKeysPerSource?: number;
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
}

export const STORAGE_DEFAULTS: Required<StorageOptions> = {
  maxValueSize: 65536,
  maxValuesPerKey: 65536,
  maxValues: 262144,
  maxBytes: 128 * 1024 * 1024,
  maxKeys: 262144,
  maxKeysPerSource: 32768,
  maxBytesPerSource: 64 * 1024 * 1024,
  maxValuesPerSource: 131072,
  maxListeners: 16384,
  maxListenersPerKey: 256,
  maxListenersPerAddress: 2048,
  maxListenersPerKeyPerAddress: 16,
  listenerLifetimeMs: 10 * 60_000,
  valueOverheadBytes: 360,
};

/** How often stored expirations are re-based (see `epoch`): a week plus the longest lifetime (a week) stays well inside 2^31 ms. */
const REBASE_AFTER_MS = 7 * 24 * 3600_000;

type Outcome = { outcome: PutOutcome; notifications: Notification[] };

export function createStorage(options: StorageOptions, components: StorageComponents): ValueStore {
  const opts: Required<StorageOptions> = { ...STORAGE_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (opts as Record<string, number>)[k] = v;
  const { clock } = components;

  const keys = new Map<string, KeyEntry>();
  /**
   * Stored expirations count milliseconds from this instant, not from 1970: a time of day in
   * epoch milliseconds is beyond V8's small-integer range and costs every value a 16-byte boxed
   * number; an offset from here stays small. tick() moves the epoch forward (shifting every value
   * by the same amount, which keeps both heaps in order) long before offsets could grow out of
   * range; if it did not run, offsets would only become boxed numbers again, never wrong.
   */
  let epoch = clock.now();
  const subscriptions = new Subscriptions(opts);
  let expired = 0;
  const rejected: Record<string, number> = {};
  /** Ids removed by the change in progress, per key: told to subscribers as expired. */
  let removed = new Map<KeyEntry, bigint[]>();

  const quotas = new Quotas(opts, (v) => {
    const entry = v.entry as KeyEntry;
    removeInto(v);
    return dropIfEmpty(entry);
  });

  const reject = (reason: string): void => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
  };

  function candidateOf(v: StoredValue): Candidate {
    let memo: Value | undefined;
    return { id: v.id, type: v.type, decoded: () => (memo ??= decodeStored(v)) };
  }

  /** Takes a value out of every structure and records its id for the `expired` notifications. */
  function removeInto(v: StoredValue): void {
    const entry = v.entry;
    if (entry === undefined) return;
    entry.remove(v);
    v.entry = undefined;
    quotas.discharge(v);
    quotas.totalValues--;
    quotas.valueLeft(entry, v);
    const ids = removed.get(entry);
    if (ids) ids.push(v.id);
    else removed.set(entry, [v.id]);
  }

  /** Drops a key that holds nothing any more; true if it did. */
  function dropIfEmpty(entry: KeyEntry): boolean {
    if (!entry.empty || keys.get(entry.name) !== entry) return false;
    keys.delete(entry.name);
    subscriptions.forget(entry);
    quotas.releaseKey(entry);
    return true;
  }

  /** Turns the ids removed so far into `expired` notifications and drops emptied keys. */
  function flushRemoved(out: Notification[]): void {
    // Most puts remove nothing: no fresh Map for them (two per put were young garbage).
    if (removed.size === 0) return;
    const batch = removed;
    removed = new Map();
    for (const [entry, ids] of batch) {
      entry.subs?.tellAll(keyOf(entry), { kind: 'expired', ids }, out);
      dropIfEmpty(entry);
    }
  }

  function matching(entry: KeyEntry, query: Query | undefined): StoredValue[] {
    const where = query?.where;
    if (where === undefined || where.length === 0) return entry.list();
    return entry.list().filter((v) => matchesWhere(candidateOf(v), where));
  }

  function decodedAll(values: StoredValue[]): Value[] {
    const out: Value[] = [];
    for (const v of values) {
      const d = decodeStored(v);
      if (d !== undefined) out.push(d);
    }
    return out;
  }

  function refreshValue(entry: KeyEntry, key: InfoHash, v: StoredValue, now: number, out: Notification[]): void {
    const extended = now - epoch + lifetimeMs(v.type);
    if (extended > v.expiration) {
      v.expiration = extended;
      v.group.heap.update(v);
    }
    entry.subs?.tellAll(key, { kind: 'refreshed', ids: [v.id] }, out);
  }

  function refused(reason: RejectReason): Outcome {
    reject(reason);
    return { outcome: { result: 'rejected', reason }, notifications: [] };
  }

  /** A new key entry, if the putter's group may have one more key. */
  function newEntry(name: string, source: string, notifications: Notification[]): KeyEntry | RejectReason {
    const group = quotas.groupFor(source);
    const admitted = quotas.admitKey(group, keys.size);
    // Room made by evicting from the largest key holder is reported to its subscribers.
    flushRemoved(notifications);
    if (admitted !== 'ok') return admitted;
    const entry = new KeyEntry(name);
    keys.set(name, entry);
    quotas.ownKey(entry, group);
    return entry;
  }

  function put(key: InfoHash, value: Value, ctx: PutContext): Outcome {
    const now = clock.now();
    if (value.id === 0n) return refused('invalid-id');
    const name = nameOf(key);
    let entry = keys.get(name);
    const existing = entry?.find(value.id);
    const notifications: Notification[] = [];

    if (entry !== undefined && existing !== undefined) {
      // The same bytes are the same content: a re-put refreshes without decoding either value.
      if (samePacked(existing.packed, value)) {
        refreshValue(entry, key, existing, now, notifications);
        return { outcome: { result: 'refreshed' }, notifications };
      }
      const old = decodeStored(existing);
      if (old !== undefined && sameContent(old, value)) {
        refreshValue(entry, key, existing, now, notifications);
        return { outcome: { result: 'refreshed' }, notifications };
      }
      const reason = old === undefined ? 'not-editable' : editRejection(old, value, opts.maxValueSize);
      if (reason !== undefined) return refused(reason);
      const expiration = Math.min(ctx.createdMs ?? now, now) + lifetimeMs(valueType(value));
      if (expiration <= now) return refused('expired');
      // Replace in place; the value's cost moves to the editor's group, as in OpenDHT.
      quotas.discharge(existing);
      existing.packed = packedString(value);
      existing.type = valueType(value);
      existing.expiration = expiration - epoch;
      quotas.charge(existing, quotas.groupFor(ctx.source));
      return finishStore(entry, key, existing, value, 'edited', notifications);
    }

    // Cheap limits first: a flood must not cost a signature check per datagram.
    const type = valueType(value);
    const expiration = Math.min(ctx.createdMs ?? now, now) + lifetimeMs(type);
    if (expiration <= now) return refused('expired');
    if (entry !== undefined && entry.count >= opts.maxValuesPerKey) return refused('key-full');
    const reason = storeRejection(key, value, opts.maxValueSize);
    if (reason !== undefined) return refused(reason);

    if (entry === undefined) {
      const created = newEntry(name, ctx.source, notifications);
      if (typeof created === 'string') {
        reject(created);
        return { outcome: { result: 'rejected', reason: created }, notifications };
      }
      entry = created;
    }
    const stored = new StoredValue(packedString(value), type, expiration - epoch, entry, quotas.groupFor(ctx.source));
    entry.add(stored);
    quotas.charge(stored, stored.group);
    quotas.totalValues++;
    return finishStore(entry, key, stored, value, 'stored', notifications);
  }

  function finishStore(entry: KeyEntry, key: InfoHash, stored: StoredValue, value: Value, result: 'stored' | 'edited', notifications: Notification[]): Outcome {
    quotas.enforce(stored.group);
    const survived = stored.entry !== undefined;
    if (survived) entry.subs?.tellValue(key, value, { id: value.id, type: valueType(value), decoded: () => value }, notifications);
    flushRemoved(notifications);
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
    refreshValue(entry, key, v, clock.now(), notifications);
    return { result: 'refreshed', notifications };
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
    const name = nameOf(key);
    let entry = keys.get(name);
    let result = subscriptions.listen(entry, sub, clock.now());
    if (result === 'needs-key') {
      const created = newEntry(name, sub.address, []);
      if (typeof created === 'string') {
        reject(created === 'source-keys-full' ? created : 'too-many-keys');
        return [];
      }
      entry = created;
      result = subscriptions.listen(entry, sub, clock.now());
    }
    if (result === 'refreshed') return [];
    if (result !== 'added') {
      reject(result);
      return [];
    }
    return decodedAll(matching(entry as KeyEntry, sub.query));
  }

  function listenLocal(key: InfoHash, query: Query | undefined, listener: LocalListener): { cancel: () => void; notifications: Notification[] } {
    const name = nameOf(key);
    let entry = keys.get(name);
    if (entry === undefined) {
      // The node's own subscriptions are not limited: they are as many as its callers' listens.
      entry = new KeyEntry(name);
      keys.set(name, entry);
      quotas.ownKey(entry, quotas.groupFor(LOCAL_SOURCE));
    }
    const remove = subscriptions.addLocal(entry, query, listener);
    const current = decodedAll(matching(entry, query));
    const notifications: Notification[] = current.length > 0 ? [{ listener, key, event: { kind: 'values', values: current } }] : [];
    const held = entry;
    return {
      cancel: () => {
        if (remove() && keys.get(name) === held) dropIfEmpty(held);
      },
      notifications,
    };
  }

  function tick(): Notification[] {
    const now = clock.now();
    const notifications: Notification[] = [];
    if (now - epoch > REBASE_AFTER_MS) {
      const shift = now - epoch;
      for (const g of quotas.groups.values()) {
        g.heap.forEach((v) => {
          v.expiration -= shift;
        });
      }
      epoch = now;
    }
    // Every value sits in its source group's heap, soonest expiry first: no store-wide heap is
    // kept (it cost every value a slot and an index). A group emptied here leaves the map, which
    // a Map iteration tolerates.
    for (const g of quotas.groups.values()) {
      for (let v = g.heap.peek(); v !== undefined && v.expiration <= now - epoch; v = g.heap.peek()) {
        removeInto(v);
        expired++;
      }
    }
    flushRemoved(notifications);
    for (const entry of subscriptions.sweep(now)) dropIfEmpty(entry);
    quotas.tick();
    return notifications;
  }

  return {
    put,
    refresh,
    get: (key, query) => {
      const entry = keys.get(nameOf(key));
      return entry === undefined ? [] : decodedAll(matching(entry, query));
    },
    getPacked: (key, query) => {
      const entry = keys.get(nameOf(key));
      if (entry === undefined) return [];
      const out: Value[] = [];
      for (const v of matching(entry, query)) out.push(new PackedValue(v));
      return out;
    },
    select,
    listen,
    unlisten: (key, node, socketId) => {
      const entry = keys.get(nameOf(key));
      if (!subscriptions.unlisten(entry, node, socketId)) return false;
      dropIfEmpty(entry as KeyEntry);
      return true;
    },
    listenLocal,
    tick,
    stats: (): Omit<StorageStats, 'localListenerErrors'> => ({
      keys: keys.size,
      values: quotas.totalValues,
      bytes: quotas.totalBytes,
      listeners: subscriptions.totalRemote,
      localListeners: subscriptions.totalLocal,
      sources: quotas.sourcesHoldingValues(),
      rejected: { ...rejected },
      evicted: quotas.evicted,
      expired,
      listenersExpired: subscriptions.expired,
    }),
  };
}

/**
 * A stored value as a get reply sends it: its packed bytes, handed to the encoder as the latin1
 * string storage keeps (no Buffer per value). The id and a byte array are made only if asked for
 * (the reply path asks for neither; together they were a fifth of a get's own work).
 */
class PackedValue implements Value {
  readonly packedText: string;
  private bytes: Uint8Array | undefined = undefined;

  constructor(private readonly stored: StoredValue) {
    this.packedText = stored.packed;
  }

  get packed(): Uint8Array {
    if (this.bytes === undefined) this.bytes = latin1Bytes(this.packedText);
    return this.bytes;
  }

  get id(): bigint {
    return this.stored.id;
  }
}
