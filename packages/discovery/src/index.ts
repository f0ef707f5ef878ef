/**
 * @lanbox/discovery — OpenDHT's multicast local peer discovery (UDP 8888, 239.192.0.1 and
 * ff08::101): announces the box's DHT node, answers queries, hands nodes heard on the LAN to
 * the DHT and lists nearby DHT nodes and Jami accounts.
 */
export { createDiscovery } from './discovery.js';
export { DiscoveryError, type DiscoveryErrorCode } from './errors.js';
export {
  DEFAULT_GROUP_IPV4,
  DEFAULT_GROUP_IPV6,
  DEFAULT_OPTIONS,
  DEFAULT_PORT,
  type DiscoveryOptions,
} from './options.js';
export type {
  BoxComponent,
  Clock,
  DhtComponent,
  Discovery,
  DiscoveryComponents,
  DiscoveryCounters,
  DiscoveryStatus,
  FamilyStatus,
  Logger,
  NearbyAccount,
  NearbyNode,
  Rng,
} from './types.js';
export type { InterfaceTable } from './interfaces.js';
export { createUdpTransport } from './transport/udp.js';
export { createMemoryLan, type MemoryLan, type SentDatagram } from './transport/memory.js';
export type {
  Datagram,
  DiscoveryTransport,
  Family,
  FamilySocketOptions,
  LocalInterface,
  TransportHandlers,
} from './transport/types.js';
export { DHT_SERVICE, HASH_LENGTH, JAMI_SERVICE, LANBOX_SERVICE } from './codec/messages.js';
