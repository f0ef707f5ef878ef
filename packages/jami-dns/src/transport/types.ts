/** The responder's view of the network: datagrams in from clients and upstream, datagrams out. */

export interface Endpoint {
  /** Without IPv4-mapped prefix; IPv6 link-local addresses keep their `%scope`. */
  address: string;
  port: number;
  family: 4 | 6;
}

export interface DnsTransportHandlers {
  /** A datagram arrived on the server port. */
  query(bytes: Uint8Array, from: Endpoint): void;
  /** A datagram arrived on a forwarding socket (from anyone: the responder checks the source). */
  upstream(bytes: Uint8Array, from: Endpoint): void;
}

export interface Listening {
  udp4: boolean;
  udp6: boolean;
  /** The bound server port (useful when 0 was asked for). */
  port: number;
}

export interface DnsTransport {
  /** Opens the server socket(s); rejects when no family could be bound (e.g. EACCES on 53). */
  start(handlers: DnsTransportHandlers): Promise<Listening>;
  /** Sends from the server port (answers to clients). */
  reply(bytes: Uint8Array, to: Endpoint): void;
  /** Sends from a forwarding socket (queries to the upstream resolver). */
  forward(bytes: Uint8Array, to: Endpoint): void;
  stop(): Promise<void>;
}
