import type { Family } from '../codec/types.js';

export type DatagramHandler = (family: Family, address: string, port: number, bytes: Uint8Array) => void;

/**
 * Datagram sockets for both address families on one port. Implementations never throw from
 * `send` (a failed send is counted and dropped, as UDP would).
 */
export interface Transport {
  send(family: Family, address: string, port: number, bytes: Uint8Array): void;
  /**
   * Like `send`, but `bytes` are only lent: the caller overwrites them once the call returns
   * (replies are encoded into one reused buffer, sparing a copy per datagram). Returns true when
   * the transport still holds them (a send the socket queued), so that the caller leaves that
   * buffer alone from then on. Optional: without it the caller sends a copy through `send`.
   */
  sendLent?(family: Family, address: string, port: number, bytes: Uint8Array): boolean;
  onDatagram(handler: DatagramHandler): void;
  /** Open the sockets; rejects only if no family could be bound. */
  bind(): Promise<void>;
  close(): Promise<void>;
  /** Bound port of a family, or null when that family is not available. */
  localPort(family: Family): number | null;
  /** Sends that failed locally (unreachable, socket closed...). */
  sendErrors(): number;
}
