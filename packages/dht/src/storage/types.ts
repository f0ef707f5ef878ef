/** The storage contract between the DHT's network layer and its value store. */

import type { Family, InfoHash, Query, SelectedFields, Value } from '../codec/types.js';
import type { RejectReason } from './policy.js';

/** A remote listener: one subscription per (node id, socket id) and key. */
export interface Subscriber {
  node: InfoHash;
  address: string;
  port: number;
  family: Family;
  /** `sid` of the listen request, echoed in every notification. */
  socketId: number;
  /** 0: legacy notifications (replies); 1: `update` requests. */
  version: number;
  /** Only its WHERE part filters `values` notifications. */
  query?: Query;
}

export type PutOutcome = { result: 'stored' | 'refreshed' | 'edited' } | { result: 'rejected'; reason: RejectReason };

export type StorageEvent = { kind: 'values'; values: Value[] } | { kind: 'refreshed'; ids: bigint[] } | { kind: 'expired'; ids: bigint[] };

/** Something to tell one remote listener; the network layer sends it. */
export interface RemoteNotification {
  subscriber: Subscriber;
  key: InfoHash;
  event: StorageEvent;
}

/** Something to tell one local listener; whoever delivers notifications calls it. */
export interface LocalNotification {
  listener: LocalListener;
  key: InfoHash;
  event: StorageEvent;
}

/**
 * What storage hands back from every change: the events each subscriber must be told, local and
 * remote alike, in the order they happened. Storage itself sends and calls nothing.
 */
export type Notification = RemoteNotification | LocalNotification;

export interface PutContext {
  /** Creation time claimed by the putter (ms; the wire's `c` converted); `min(created, now)` is used. */
  createdMs?: number;
  /** Requester IP address (quota group), or `LOCAL_SOURCE` for the node's own values. */
  source: string;
}

/** Called for a local subscription's events; must not throw (errors are counted and logged). */
export type LocalListener = (event: StorageEvent) => void;

export type RefreshResult = 'refreshed' | 'unknown-value' | 'no-storage';

export interface StorageStats {
  keys: number;
  values: number;
  /** Estimated memory of the stored values: packed bytes plus a per-value overhead. */
  bytes: number;
  /** Remote subscriptions. */
  listeners: number;
  localListeners: number;
  /** Quota groups (source IPv4 addresses, IPv6 /64s) holding values. */
  sources: number;
  /** Refused puts and subscriptions, by reason. */
  rejected: Record<string, number>;
  /** Values removed before their expiry to honour a limit. */
  evicted: number;
  /** Values removed because they expired. */
  expired: number;
  /** Subscriptions dropped 10 minutes after their last refresh. */
  listenersExpired: number;
  /** Exceptions thrown by local listener callbacks (counted where notifications are delivered). */
  localListenerErrors: number;
}

/** The DHT's value store, as the network layer and the node's own operations use it. */
export interface ValueStore {
  /** Store, refresh (identical re-put) or edit a value; returns what to tell subscribers. */
  put(key: InfoHash, value: Value, ctx: PutContext): { outcome: PutOutcome; notifications: Notification[] };
  /** Extend a value's life to at least now + its type's lifetime. */
  refresh(key: InfoHash, valueId: bigint): { result: RefreshResult; notifications: Notification[] };
  /** Stored values at `key` matching the query's WHERE part, decoded, packed bytes as received. */
  get(key: InfoHash, query?: Query): Value[];
  /**
   * The same values for a reply on the wire: only `id` and `packed` are set. A get reply sends
   * the packed bytes as they are, so decoding every value first would be wasted work on the
   * busiest request there is.
   */
  getPacked(key: InfoHash, query?: Query): Value[];
  /** A SELECT reply: the query's known fields sorted and deduplicated, one row per matching value. */
  select(key: InfoHash, query: Query): SelectedFields;
  /**
   * Add or refresh a subscription (keyed by node id and socket id). A new subscription returns the
   * currently stored matching values (to send at once); a refresh replaces the query and returns
   * nothing, as OpenDHT does. A subscription refused by a limit returns nothing and is counted.
   */
  listen(key: InfoHash, sub: Subscriber): Value[];
  /** Remove a subscription; true if it existed. */
  unlisten(key: InfoHash, node: InfoHash, socketId: number): boolean;
  /**
   * Subscribe from inside the process (the node's own API, the proxy). Like a remote listen, the
   * currently matching values come back as notifications to deliver (none when there are none);
   * later events come back from the calls that cause them. `cancel` ends the subscription.
   */
  listenLocal(key: InfoHash, query: Query | undefined, listener: LocalListener): { cancel: () => void; notifications: Notification[] };
  /** Expire values (→ `expired` notifications) and subscriptions 10 min after their last refresh. */
  tick(): Notification[];
  stats(): Omit<StorageStats, 'localListenerErrors'>;
}
