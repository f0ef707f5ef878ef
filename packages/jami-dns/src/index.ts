/**
 * @lanbox/jami-dns — a small DNS responder that makes unmodified Jami clients use the box:
 * bootstrap.jami.net, turn.jami.net and dhtproxy.jami.net resolve to the box's address on the
 * asking client's subnet, config.jami.net is NXDOMAIN at once, ns.jami.net is forwarded or
 * NXDOMAIN, and every other name is forwarded to a configured upstream or REFUSED at once.
 */
export { createJamiDns } from './responder.js';
export type { Clock, JamiDns, JamiDnsComponents, JamiDnsCounters, JamiDnsStatus, Logger, NameStatus } from './responder.js';
export { DEFAULT_OPTIONS, type JamiDnsOptions, type Upstream } from './options.js';
export { JAMI_NAMES, type NamePolicy } from './names.js';
export { boxAddressesFor, type BoxAddresses, type InterfaceTable } from './addresses.js';
export { hasDefaultRoute } from './routes.js';
export { createUdpTransport, type UdpTransportOptions } from './transport/udp.js';
export { createMemoryTransport, type MemoryTransport } from './transport/memory.js';
export type { DnsTransport, DnsTransportHandlers, Endpoint, Listening } from './transport/types.js';
export {
  decodeQuery,
  decodeUpstreamReply,
  encodeResponse,
  RCODE,
  TYPE_A,
  TYPE_AAAA,
  type Query,
  type QueryError,
  type Rcode,
} from './codec/message.js';
