/** The multicast sockets as the discovery logic sees them: one socket per address family. */

export type Family = 4 | 6;

/** A network interface the logic asked the transport to use, as found by the interface scan. */
export interface LocalInterface {
  /** Interface name, e.g. `eth0` (used as IPv6 scope: `::%eth0`). */
  readonly name: string;
  /** One address of this family on the interface (IPv4 multicast uses it to pick the interface). */
  readonly address: string;
}

export interface Datagram {
  readonly family: Family;
  readonly data: Uint8Array;
  /** Source address; IPv6 link-local sources carry their scope (`fe80::1%eth0`). */
  readonly address: string;
  readonly port: number;
}

export interface FamilySocketOptions {
  /** UDP port to bind (wildcard address, address reuse on) and to send to. */
  readonly port: number;
  /** Multicast group of this family. */
  readonly group: string;
}

export interface TransportHandlers {
  onDatagram(datagram: Datagram): void;
  /** Asynchronous failures (send errors, socket errors); the socket stays usable. */
  onError(family: Family, error: Error): void;
}

export interface DiscoveryTransport {
  /** Binds the family's socket; rejects if the family is unavailable. */
  open(family: Family, options: FamilySocketOptions, handlers: TransportHandlers): Promise<void>;
  /** Joins the family's group on an interface; throws if the kernel refuses. */
  join(family: Family, iface: LocalInterface): void;
  /** Leaves the group on an interface; throws if the kernel refuses (e.g. interface gone). */
  leave(family: Family, iface: LocalInterface): void;
  /** Sends to the family's group out of one interface. */
  sendToGroup(family: Family, data: Uint8Array, iface: LocalInterface): void;
  /** Sends by unicast (the reply to a query). */
  sendTo(family: Family, data: Uint8Array, address: string, port: number): void;
  /** Closes the family's socket (both when omitted). */
  close(family?: Family): Promise<void>;
}
