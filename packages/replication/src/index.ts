/**
 * @lanbox/replication: one name registry shared by the boxes of a site. Records are the
 * clients' own signed registrations, checked by every box on receipt; they flow by push and by
 * anti-entropy over digests; one documented rule settles names claimed on both sides of a split.
 */
export { createReplication } from './replication.js';
export type { Replication } from './replication.js';
export { API_PREFIX } from './context.js';
export type { Clock, Logger, PeerState, PeerStatus, ReplicationComponents, ReplicationCounters } from './context.js';
export type { ReplicationStatus } from './status.js';
export { DEFAULT_OPTIONS } from './options.js';
export type { ReplicationOptions } from './options.js';
export { createLevelState, createMemoryState } from './state.js';
export type { Conflict, ReplicationState, StoredPeer } from './state.js';
export { createHttpClient } from './transport/client.js';
export type { PeerAddress, PeerClient, PeerResponse } from './transport/client.js';
export { beats } from './conflict.js';
export { recordDigest, tombstoneMac } from './digest.js';
export type { Tombstone, WireRecord } from './codec/wire.js';
