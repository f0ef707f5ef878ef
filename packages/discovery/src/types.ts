/** Types shared by the public API and the discovery logic. */
import type { Clock } from '@lanbox/clock';
import type { InterfaceTable } from './interfaces.js';
import type { Seen } from './nearby.js';
import type { DiscoveryTransport, Family } from './transport/types.js';

/** What discovery needs from the box's DHT node (the appliance implements it). */
export interface DhtComponent {
  /** Our 20-byte node id (announced; announcements carrying it are ourselves). */
  nodeId(): Uint8Array;
  /** The DHT's UDP port for a family, or undefined when the DHT has no socket of that family. */
  port(family: Family): number | undefined;
  /** Our network id; announcements of other networks are ignored. */
  readonly networkId: number;
  /**
   * A node announced itself on the LAN. `address` is the announcement's source address (IPv6
   * link-local ones carry their scope, `fe80::1%eth0`), `port` its DHT port.
   */
  addNode(family: Family, address: string, port: number): void;
}

/**
 * Optional: lets lanbox boxes find each other. Discovery adds a `lanbox` entry to its
 * announcements and reports the `lanbox` entries of other boxes.
 */
export interface BoxComponent {
  /** Our 20-byte box id (announcements carrying it are ourselves). */
  boxId(): Uint8Array;
  /** Port of our web server, or undefined while it is not listening (nothing is announced then). */
  webPort(): number | undefined;
  /** Another box announced itself; `address` is the datagram's source (IPv6 link-local with scope). */
  found(family: Family, address: string, boxId: string, webPort: number): void;
}

export type { Clock };

/** Returns `n` random bytes. */
export type Rng = (n: number) => Uint8Array;

/** pino's method shape. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DiscoveryComponents {
  dht: DhtComponent;
  /** Box-to-box discovery (lanbox service). @default none: the `lanbox` service is neither sent nor read */
  box?: BoxComponent;
  /** @default the dgram transport (`createUdpTransport()`) */
  transport?: DiscoveryTransport;
  /** @default `Date.now` */
  clock?: Clock;
  /** @default `crypto.randomBytes` */
  rng?: Rng;
  /** Interface table, re-read on every tick. @default `os.networkInterfaces` */
  interfaces?: () => InterfaceTable;
  logger?: Logger;
}

/** A DHT node heard on the LAN (same network id as ours, not ourselves). */
export interface NearbyNode extends Seen {
  /** Node id, 40 lower-case hex digits. */
  readonly id: string;
  readonly family: Family;
  /** Source address of the announcement (IPv6 link-local with scope). */
  readonly address: string;
  /** DHT port from the announcement. */
  readonly port: number;
}

/** A Jami account heard on the LAN. */
export interface NearbyAccount extends Seen {
  /** Account id, 40 lower-case hex digits. */
  readonly accountId: string;
  readonly displayName: string;
  /** Where the latest announcement came from. */
  readonly family: Family;
  readonly address: string;
}

export interface FamilyStatus {
  /** The family's socket is bound. */
  readonly open: boolean;
  readonly group: string;
  /** Interfaces the group is joined on. */
  readonly interfaces: readonly string[];
  /** We announce a `dht` service on this family (the DHT has a port for it). */
  readonly publishing: boolean;
  /** Why the socket could not be opened, if it could not. */
  readonly error?: string;
}

export interface DiscoveryCounters {
  datagramsReceived: number;
  bytesReceived: number;
  queriesReceived: number;
  announcementsReceived: number;
  /** Unicast answers to queries. */
  repliesSent: number;
  /** Query datagrams sent to a group (one per interface per round). */
  queriesSent: number;
  /** Announcement datagrams sent to a group. */
  announcementsSent: number;
  droppedOversize: number;
  droppedRateLimited: number;
  droppedMalformed: number;
  /** Valid msgpack that is neither `"q"` nor a map. */
  droppedUnexpected: number;
  /** A `dht`/`jami` entry of the wrong shape. */
  invalidServices: number;
  /** Map entries of services we do not handle. */
  unknownServices: number;
  /** Our own queries and `dht` announcements (multicast loopback). */
  ignoredSelf: number;
  ignoredOtherNetwork: number;
  /** Queries not answered because the reply budget was spent. */
  repliesRateLimited: number;
  /** `addNode` calls made. */
  nodesHandedToDht: number;
  /** New nearby nodes/accounts refused because the list was full. */
  nearbyNodesRefused: number;
  nearbyAccountsRefused: number;
  /** `lanbox` announcements of other boxes handed to the box component. */
  boxesHeard: number;
  nearbyExpired: number;
  joinErrors: number;
  /** Failed sends and asynchronous socket errors. */
  sendErrors: number;
  openErrors: number;
  /** Query+announcement rounds. */
  rounds: number;
}

export interface DiscoveryStatus {
  /**
   * `ok`: at least one family is bound and joined on an interface; `degraded`: running but no
   * family could join a group (no LAN interface, or no socket); `stopped`: not started.
   */
  readonly state: 'stopped' | 'ok' | 'degraded';
  readonly port: number;
  readonly ipv4: FamilyStatus;
  readonly ipv6: FamilyStatus;
  readonly nearbyNodes: readonly NearbyNode[];
  readonly nearbyAccounts: readonly NearbyAccount[];
  readonly counters: Readonly<DiscoveryCounters>;
}

export interface Discovery {
  /** Binds both families (rejects with DiscoveryError only if neither can be bound), joins, announces. */
  start(): Promise<void>;
  /** Closes the sockets. Sends nothing (OpenDHT sends no goodbye either). */
  stop(): Promise<void>;
  /** Periodic work: interface re-scan, announcement changes, rounds, expiry. Call every second or so. */
  tick(): void;
  status(): DiscoveryStatus;
  nearbyNodes(): NearbyNode[];
  nearbyAccounts(): NearbyAccount[];
}
