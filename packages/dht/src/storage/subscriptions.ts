/**
 * Subscriptions to keys: remote listeners (other nodes, by node id and socket id) and local ones
 * (this process: the node's own listens, the proxy). Both are told the same events, and both are
 * handed back to the caller as notifications to deliver; storage itself calls no callback.
 *
 * Refreshed and expired events go to every subscriber of the key; new or edited values only to
 * those whose WHERE they satisfy (as OpenDHT does).
 */
import type { InfoHash, Query, Value } from '../codec/types.js';
import { matchesWhere, type Candidate } from './query.js';
import type { LocalListener, Notification, RemoteNotification, StorageEvent, Subscriber } from './types.js';
import type { KeyEntry } from './values.js';

/**
 * One remote subscription. Subscriptions whose (node id, socket id) hash to the same slot of a
 * key's map are chained through `next`: the slot is a small integer computed from the bytes, so a
 * listen refresh (most listens: Jami re-listens every few minutes) finds its subscription without
 * building a string key (a hex id cost 20 string concatenations and a 40-character hash per
 * listen). A chain is at most `maxListenersPerKey` long even if someone crafts colliding ids.
 *
 * The node id is also kept here as five 32-bit words, so that finding a subscription compares
 * fields of the object the chain walk already loaded: comparing through the subscriber, its id
 * array and that array's bytes cost three dependent memory loads per listen, most of them cache
 * misses once a node holds thousands of subscriptions (the busiest line of a listen refresh).
 */
class RemoteSubscription {
  // `declare`d, not class fields: a class field is first defined as undefined, which makes V8 hold
  // `refreshedAt` as a tagged field, and every refresh then stored a freshly boxed number (promoted
  // garbage); assigned first with a number, it stays a double field, updated in place.
  declare subscriber: Subscriber;
  declare refreshedAt: number;
  declare next: RemoteSubscription | undefined;
  declare socketId: number;
  /** The id's length; the words below hold it only when it is 20 (every id a datagram carries). */
  declare idLength: number;
  declare w0: number;
  declare w1: number;
  declare w2: number;
  declare w3: number;
  declare w4: number;
  constructor(subscriber: Subscriber, refreshedAt: number) {
    this.subscriber = subscriber;
    this.refreshedAt = refreshedAt;
    this.next = undefined;
    this.socketId = subscriber.socketId;
    const node = subscriber.node;
    this.idLength = node.length;
    const full = node.length === 20;
    this.w0 = full ? word(node, 0) : 0;
    this.w1 = full ? word(node, 4) : 0;
    this.w2 = full ? word(node, 8) : 0;
    this.w3 = full ? word(node, 12) : 0;
    this.w4 = full ? word(node, 16) : 0;
  }
}

/** Bytes `at`..`at+3` of `b` as a signed 32-bit integer. */
function word(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

interface LocalSubscription {
  query: Query | undefined;
  listener: LocalListener;
}

export interface SubscriptionLimits {
  maxListeners: number;
  maxListenersPerKey: number;
  maxListenersPerAddress: number;
  maxListenersPerKeyPerAddress: number;
  listenerLifetimeMs: number;
}

/** The map slot of a (node id, socket id): a small integer (a V8 Smi, never a boxed number). */
function slotOf(node: InfoHash, socketId: number): number {
  const head = (node[0]! << 24) | (node[1]! << 16) | (node[2]! << 8) | node[3]!;
  return (head ^ Math.imul(socketId | 0, 0x9e3779b1)) & 0x3fffffff;
}

function sameListener(s: Subscriber, node: InfoHash, socketId: number): boolean {
  if (s.socketId !== socketId || s.node.length !== node.length) return false;
  for (let i = 0; i < node.length; i++) if (s.node[i] !== node[i]) return false;
  return true;
}

/** The subscriptions of one key. */
export class KeySubscriptions {
  /** Remote subscriptions by slot (see `slotOf`), each slot a chain. */
  remote: Map<number, RemoteSubscription> | undefined = undefined;
  /** How many remote subscriptions the chains hold. */
  remoteCount = 0;
  local: Set<LocalSubscription> | undefined = undefined;

  get empty(): boolean {
    return this.remoteCount === 0 && (this.local?.size ?? 0) === 0;
  }

  find(node: InfoHash, socketId: number): RemoteSubscription | undefined {
    let s = this.remote?.get(slotOf(node, socketId));
    if (s === undefined) return undefined;
    if (node.length !== 20) {
      for (; s !== undefined; s = s.next) if (sameListener(s.subscriber, node, socketId)) return s;
      return undefined;
    }
    const w0 = word(node, 0);
    const w1 = word(node, 4);
    const w2 = word(node, 8);
    const w3 = word(node, 12);
    const w4 = word(node, 16);
    for (; s !== undefined; s = s.next) {
      if (s.socketId === socketId && s.idLength === 20 && s.w0 === w0 && s.w1 === w1 && s.w2 === w2 && s.w3 === w3 && s.w4 === w4) return s;
    }
    return undefined;
  }

  add(sub: Subscriber, now: number): void {
    const remote = (this.remote ??= new Map());
    const slot = slotOf(sub.node, sub.socketId);
    // The subscriber is kept as a copy made here, not the request's objects: V8 decides per
    // allocation site whether to allocate straight into the old generation, and once the sites
    // that decode every request's ids (and build the handler's subscriber) saw the first listens'
    // objects survive, it allocated all later ids there too, so every listen refresh (and every
    // ping, get and put after it) left its ids in the old generation: ~300 bytes of promoted
    // garbage per listen and a full GC every few hundred kilobytes.
    const held: Subscriber = { ...sub, node: Uint8Array.prototype.slice.call(sub.node) };
    const added = new RemoteSubscription(held, now);
    added.next = remote.get(slot);
    remote.set(slot, added);
    this.remoteCount++;
  }

  /** Takes `s` out of its chain. */
  delete(s: RemoteSubscription): void {
    const remote = this.remote;
    if (remote === undefined) return;
    const slot = slotOf(s.subscriber.node, s.subscriber.socketId);
    const head = remote.get(slot);
    if (head === s) {
      if (s.next === undefined) remote.delete(slot);
      else remote.set(slot, s.next);
    } else {
      let prev = head;
      while (prev !== undefined && prev.next !== s) prev = prev.next;
      if (prev === undefined) return;
      prev.next = s.next;
    }
    s.next = undefined;
    this.remoteCount--;
  }

  /** Every remote subscription, in no particular order. */
  forEachRemote(fn: (s: RemoteSubscription) => void): void {
    if (this.remote === undefined) return;
    for (const head of this.remote.values()) {
      // Read `next` first: `fn` may unlink `s`.
      for (let s: RemoteSubscription | undefined = head; s !== undefined; ) {
        const next: RemoteSubscription | undefined = s.next;
        fn(s);
        s = next;
      }
    }
  }

  /** Queue an event for every subscriber (refreshed and expired are not filtered). */
  tellAll(key: InfoHash, event: StorageEvent, out: Notification[]): void {
    this.forEachRemote((s) => out.push({ subscriber: s.subscriber, key, event }));
    if (this.local) for (const l of this.local) out.push({ listener: l.listener, key, event });
  }

  /** Queue a new or edited value for the subscribers whose WHERE it satisfies. */
  tellValue(key: InfoHash, value: Value, candidate: Candidate, out: Notification[]): void {
    const event: StorageEvent = { kind: 'values', values: [value] };
    this.forEachRemote((s) => {
      const where = s.subscriber.query?.where;
      if (where === undefined || matchesWhere(candidate, where)) out.push({ subscriber: s.subscriber, key, event });
    });
    if (this.local) {
      for (const l of this.local) {
        if (l.query === undefined || matchesWhere(candidate, l.query.where)) out.push({ listener: l.listener, key, event });
      }
    }
  }
}

export type RefusedSubscription = 'too-many-listeners' | 'key-listeners-full' | 'address-listeners-full' | 'key-address-listeners-full';

/** Counts and limits of the remote subscriptions of the whole store. */
export class Subscriptions {
  totalRemote = 0;
  totalLocal = 0;
  expired = 0;
  /** Keys with remote subscriptions, for the sweep. */
  private readonly listened = new Set<KeyEntry>();
  /** Remote subscriptions per listener IP address. */
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: SubscriptionLimits) {}

  /**
   * Adds or refreshes a remote subscription. 'added' and 'refreshed' say what happened, a refused
   * one says why, and 'needs-key' asks the caller to create the key entry and call again.
   */
  listen(entry: KeyEntry | undefined, sub: Subscriber, now: number): 'added' | 'refreshed' | RefusedSubscription | 'needs-key' {
    const subs = entry?.subs;
    const existing = subs?.find(sub.node, sub.socketId);
    if (existing !== undefined) {
      // Updated in place rather than replaced: the held subscriber lives in the old generation,
      // and a fresh object stored there at every refresh would be promoted garbage, paid for
      // with a full collection every few thousand listens.
      const held = existing.subscriber;
      if (held.address !== sub.address) {
        this.countAddress(held.address, -1);
        this.countAddress(sub.address, 1);
        held.address = sub.address;
      }
      held.port = sub.port;
      held.family = sub.family;
      held.version = sub.version;
      held.query = sub.query;
      existing.refreshedAt = now;
      return 'refreshed';
    }
    if (this.totalRemote >= this.limits.maxListeners) return 'too-many-listeners';
    if ((subs?.remoteCount ?? 0) >= this.limits.maxListenersPerKey) return 'key-listeners-full';
    if ((this.byAddress.get(sub.address) ?? 0) >= this.limits.maxListenersPerAddress) return 'address-listeners-full';
    if (subs !== undefined && subs.remoteCount > 0) {
      let same = 0;
      subs.forEachRemote((s) => {
        if (s.subscriber.address === sub.address) same++;
      });
      if (same >= this.limits.maxListenersPerKeyPerAddress) return 'key-address-listeners-full';
    }
    if (entry === undefined) return 'needs-key';
    const target = (entry.subs ??= new KeySubscriptions());
    target.add(sub, now);
    this.listened.add(entry);
    this.totalRemote++;
    this.countAddress(sub.address, 1);
    return 'added';
  }

  unlisten(entry: KeyEntry | undefined, node: InfoHash, socketId: number): boolean {
    const subs = entry?.subs;
    const s = subs?.find(node, socketId);
    if (subs === undefined || s === undefined) return false;
    subs.delete(s);
    this.countAddress(s.subscriber.address, -1);
    this.totalRemote--;
    if (subs.remoteCount === 0) this.listened.delete(entry!);
    return true;
  }

  addLocal(entry: KeyEntry, query: Query | undefined, listener: LocalListener): () => boolean {
    const sub: LocalSubscription = { query, listener };
    const subs = (entry.subs ??= new KeySubscriptions());
    subs.local ??= new Set();
    subs.local.add(sub);
    this.totalLocal++;
    return () => {
      if (subs.local?.delete(sub) !== true) return false;
      this.totalLocal--;
      return true;
    };
  }

  /** Drops remote subscriptions not refreshed within their lifetime; returns the keys touched. */
  sweep(now: number): KeyEntry[] {
    const touched: KeyEntry[] = [];
    for (const entry of this.listened) {
      const subs = entry.subs as KeySubscriptions;
      let dropped = false;
      subs.forEachRemote((s) => {
        if (now - s.refreshedAt >= this.limits.listenerLifetimeMs) {
          subs.delete(s);
          this.countAddress(s.subscriber.address, -1);
          this.totalRemote--;
          this.expired++;
          dropped = true;
        }
      });
      if (subs.remoteCount === 0) this.listened.delete(entry);
      if (dropped) touched.push(entry);
    }
    return touched;
  }

  /** The key left the store (it had no subscription left). */
  forget(entry: KeyEntry): void {
    this.listened.delete(entry);
  }

  private countAddress(address: string, delta: 1 | -1): void {
    const n = (this.byAddress.get(address) ?? 0) + delta;
    if (n > 0) this.byAddress.set(address, n);
    else this.byAddress.delete(address);
  }
}

/**
 * Delivers what storage handed back: local listeners are called here, in order, and the remote
 * notifications go to `sendRemote` together. A throwing local listener is reported to `onError`
 * and does not stop the others.
 */
export function createDelivery(sendRemote: (list: RemoteNotification[]) => void, onError: (err: unknown) => void): (list: Notification[]) => void {
  return (list) => {
    const remote: RemoteNotification[] = [];
    for (const n of list) {
      if ('subscriber' in n) {
        remote.push(n);
        continue;
      }
      try {
        n.listener(n.event);
      } catch (err) {
        onError(err);
      }
    }
    if (remote.length > 0) sendRemote(remote);
  };
}
