import type { TransportAddress } from '../codec/address.js';

/** Where a STUN/TURN server listens. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * One path to a server: a connected UDP socket or a TCP connection. Delivers whole datagrams or
 * framed messages; the transaction layer above never sees sockets.
 */
export interface StunChannel {
  readonly kind: 'udp' | 'tcp';
  /** The local address the server sees as our source, once connected. */
  readonly local: TransportAddress;
  send(bytes: Uint8Array): void;
  onMessage(handler: (bytes: Uint8Array) => void): void;
  /** Called once when the channel dies (peer closed, socket error, framing error, or close()). */
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

/** A TCP channel that can stop framing: after ConnectionBind succeeds the connection carries raw peer data (RFC 6062 §4.4). */
export interface TcpStunChannel extends StunChannel {
  readonly kind: 'tcp';
  switchToRaw(handler: (bytes: Uint8Array) => void): void;
}

export interface ChannelFactory {
  openUdp(server: Endpoint): Promise<StunChannel>;
  openTcp(server: Endpoint, timeoutMs: number): Promise<TcpStunChannel>;
}
