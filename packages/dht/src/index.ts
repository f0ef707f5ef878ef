/**
 * @lanbox/dht — an OpenDHT-wire-compatible DHT node (UDP, IPv4 + IPv6 on one port).
 *
 * This file is the package's whole public API: the `createDhtNode` factory, its option and
 * component types, the status shape, the transports (UDP for production, an in-memory network
 * for tests), and the clock and scheduler it takes (from @lanbox/clock, re-exported so a DHT user
 * needs one import).
 */
export { createDhtNode } from './node.js';
export type {
  DhtNode,
  DhtNodeOptions,
  DhtNodeComponents,
  DhtStatus,
  FamilyNodeCounts,
  DhtCounters,
  GetOptions,
  PutOptions,
  PutResult,
  ListenCallback,
  RateLimitOptions,
  Logger,
  Resolver,
  DhtDb,
} from './node-types.js';
export { DEFAULT_PORT, USER_AGENT } from './node-types.js';
export { BootstrapEntryError, type BootstrapNode } from './routing/bootstrap-list.js';
export type { Clock, Scheduler, ScheduledTask, ManualClock } from '@lanbox/clock';
export { createManualClock, systemClock, systemScheduler } from '@lanbox/clock';
export type { Transport, DatagramHandler } from './transport/transport.js';
export { createUdpTransport } from './transport/udp.js';
export type { UdpTransportOptions } from './transport/udp.js';
export { createMemoryNetwork } from './transport/memory.js';
export type { MemoryNetwork, MemoryNetworkOptions } from './transport/memory.js';
export type { InfoHash, Family, Value, ValueBody, Query, NodeRecord } from './codec/types.js';
export type { StorageOptions } from './storage/index.js';
// Value and id helpers callers need to build keys and values (e.g. the DHT proxy).
export { makeValue, decodeValue, encodeValue, sha1, infoHashFromHex, toHex } from './codec/index.js';
export { Field } from './codec/types.js';
export type { FieldFilter, SelectedFields } from './codec/types.js';
