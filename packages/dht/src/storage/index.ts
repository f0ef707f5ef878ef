/**
 * The DHT's value store (what the network layer calls on put, refresh, get, listen, and on its
 * maintenance tick). Storage does no distance checks: deciding whether this node should store
 * for a key (OpenDHT's "too far" rule) is the network layer's job.
 */
export { createStorage, STORAGE_DEFAULTS } from './storage.js';
export type { StorageOptions, StorageComponents } from './storage.js';
export type {
  ValueStore,
  Subscriber,
  PutOutcome,
  PutContext,
  Notification,
  RemoteNotification,
  LocalNotification,
  StorageEvent,
  LocalListener,
  RefreshResult,
  StorageStats,
} from './types.js';
export type { RejectReason } from './policy.js';
export { LOCAL_SOURCE, sourceGroup } from '../routing/source-group.js';
export { lifetimeMs, ValueType } from './value-types.js';
