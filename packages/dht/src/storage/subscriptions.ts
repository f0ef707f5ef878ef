/**
 * Subscriptions to keys: remote listeners (other nodes, by node id and socket id) and local ones
 * (this process: the node's own listens, the proxy). Both are told the same events, and both are
 * handed back to the caller as notifications to deliver; storage itself calls no callback.
 *
 * Refreshed and expired events go to every subscriber of the key; new or edited values only to
 * those whose WHERE they satisfy (as OpenDHT does).
 */
import { toHex } from '../codec/infohash.js';
import type { InfoHash, Query, Value } from '../codec/types.js';
import { matchesWhere, type Candidate } from './query.js';
import type { LocalListener, Notification, RemoteNotification, StorageEvent, Subscriber } from './types.js';
import type { KeyEntry } from './values.js';

interface RemoteSubscription {
  subscriber: Subscriber;
  refreshedAt: number;
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

/** The subscriptions of one key. */
export class KeySubscriptions {
  remote: Map<string, RemoteSubscription> | undefined = undefined;
  local: Set<LocalSubscription> | undefined = undefined;

  get empty(): boolean {
    return (this.remote?.size ?? 0) === 0 && (this.local?.size ?? 0) === 0;
  }

  /** Queue an event for every subscriber (refreshed and expired are not filtered). */
  tellAll(key: InfoHash, event: StorageEvent, out: Notification[]): void {
    if (this.remote) for (const s of this.remote.values()) out.push({ subscriber: s.subscriber, key, event });
    if (this.local) for (const l of this.local) out.push({ listener: l.listener, key, event });
  }

  /** Queue a new or edited value for the subscribers whose WHERE it satisfies. */
  tellValue(key: InfoHash, value: Value, candidate: Candidate, out: Notification[]): void {
    const event: StorageEvent = { kind: 'values', values: [value] };
    if (this.remote) {
      for (const s of this.remote.values()) {
        const where = s.subscriber.query?.where;
        if (where === undefined || matchesWhere(candidate, where)) out.push({ subscriber: s.subscriber, key, event });
      }
    }
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
    const id = `${toHex(sub.node)}/${sub.socketId}`;
    const existing = subs?.remote?.get(id);
    if (existing !== undefined) {
      if (existing.subscriber.address !== sub.address) {
        this.countAddress(existing.subscriber.address, -1);
        this.countAddress(sub.address, 1);
      }
      existing.subscriber = sub;
      existing.refreshedAt = now;
      return 'refreshed';
    }
    if (this.totalRemote >= this.limits.maxListeners) return 'too-many-listeners';
    if ((subs?.remote?.size ?? 0) >= this.limits.maxListenersPerKey) return 'key-listeners-full';
    if ((this.byAddress.get(sub.address) ?? 0) >= this.limits.maxListenersPerAddress) return 'address-listeners-full';
    if (subs?.remote !== undefined) {
      let same = 0;
      for (const s of subs.remote.values()) if (s.subscriber.address === sub.address) same++;
      if (same >= this.limits.maxListenersPerKeyPerAddress) return 'key-address-listeners-full';
    }
    if (entry === undefined) return 'needs-key';
    const target = (entry.subs ??= new KeySubscriptions());
    target.remote ??= new Map();
    target.remote.set(id, { subscriber: sub, refreshedAt: now });
    this.listened.add(entry);
    this.totalRemote++;
    this.countAddress(sub.address, 1);
    return 'added';
  }

  unlisten(entry: KeyEntry | undefined, node: InfoHash, socketId: number): boolean {
    const subs = entry?.subs;
    const id = `${toHex(node)}/${socketId}`;
    const s = subs?.remote?.get(id);
    if (subs?.remote === undefined || s === undefined) return false;
    subs.remote.delete(id);
    this.countAddress(s.subscriber.address, -1);
    this.totalRemote--;
    if (subs.remote.size === 0) this.listened.delete(entry!);
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
      const remote = entry.subs?.remote as Map<string, RemoteSubscription>;
      let dropped = false;
      for (const [id, s] of remote) {
        if (now - s.refreshedAt >= this.limits.listenerLifetimeMs) {
          remote.delete(id);
          this.countAddress(s.subscriber.address, -1);
          this.totalRemote--;
          this.expired++;
          dropped = true;
        }
      }
      if (remote.size === 0) this.listened.delete(entry);
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
