/**
 * The state the replication's parts share: options, collaborators, the replicated set (digest
 * index, removals), reservations, known boxes and counters. One context per `createReplication`.
 */
import type { Clock } from '@lanbox/clock';
import type { RegistrationGate, RegistryAccess } from '@lanbox/nameserver';
import type { Tombstone } from './codec/wire.js';
import type { DigestIndex } from './digest.js';
import type { SourceLimits } from './limits.js';
import type { ResolvedOptions } from './options.js';
import type { Conflict, ReplicationState } from './state.js';
import type { PeerClient } from './transport/client.js';

export const API_PREFIX = '/api/replication/v1';

export type { Clock };

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ReplicationComponents {
  /** The name server: replication installs its gate and gets the registry access. */
  registry: { attachReplication(gate: RegistrationGate): RegistryAccess };
  /** Where known boxes, removals and conflicts are kept. */
  state: ReplicationState;
  /** What this box tells the others about itself. */
  self: { webPort(): number | undefined; dhtPort(): number | null };
  client: PeerClient;
  /** @default Date.now */
  clock?: Clock;
  logger?: Logger;
  /** A box answered; `dhtPort` is its DHT, for our DHT to join (one network for the site). */
  onPeer?: (host: string, dhtPort: number) => void;
}

export type PeerState = 'unknown' | 'up' | 'down';

export interface PeerStatus {
  /** Box id (40 hex), null until a configured address answered. */
  readonly id: string | null;
  readonly host: string;
  readonly port: number;
  readonly source: 'configured' | 'discovered' | 'contacted' | 'remembered';
  readonly state: PeerState;
  /** Clock (ms) of the last answer, and of the last completed anti-entropy exchange. */
  readonly lastContact: number | null;
  readonly lastSync: number | null;
  readonly lastError: string | null;
  /** Entries taken from this box (records and removals). */
  readonly received: number;
}

export interface Peer {
  id: string | null;
  host: string;
  port: number;
  source: PeerStatus['source'];
  state: PeerState;
  lastContact: number | null;
  lastSync: number | null;
  lastError: string | null;
  nextSyncAt: number;
  syncing: Promise<void> | null;
  dhtPort: number | null;
  received: number;
}

export interface Reservation {
  addr: string;
  until: number;
}

export interface ReplicationCounters {
  recordsReceived: number;
  recordsAccepted: number;
  recordsUnchanged: number;
  /** Records that lost to the record held here (they stay with the box that sent them until it learns the winner). */
  recordsLost: number;
  /** Records refused because they fail verification (key, Jami ID or signature). */
  badRecords: number;
  malformed: number;
  /** Refused for the registry's maxNames. */
  overLimit: number;
  removalsApplied: number;
  /** Removals refused: wrong site key, or none configured here. */
  removalsRefused: number;
  conflictsResolved: number;
  reservationsGranted: number;
  reservationsRefused: number;
  /** Local registrations refused because another box holds or reserved the name. */
  refusedByPeers: number;
  /** Local registrations acknowledged while some known box was unreachable. */
  unconfirmed: number;
  pushesSent: number;
  pushFailures: number;
  syncs: number;
  syncFailures: number;
  /** Requests refused by the per-address budgets (flooding or blocked boxes). */
  throttled: number;
  /** New boxes not tracked because `maxPeers` was reached. */
  peersRefused: number;
}

export const newCounters = (): ReplicationCounters => ({
  recordsReceived: 0,
  recordsAccepted: 0,
  recordsUnchanged: 0,
  recordsLost: 0,
  badRecords: 0,
  malformed: 0,
  overLimit: 0,
  removalsApplied: 0,
  removalsRefused: 0,
  conflictsResolved: 0,
  reservationsGranted: 0,
  reservationsRefused: 0,
  refusedByPeers: 0,
  unconfirmed: 0,
  pushesSent: 0,
  pushFailures: 0,
  syncs: 0,
  syncFailures: 0,
  throttled: 0,
  peersRefused: 0,
});

export interface ReplicationContext {
  readonly opts: ResolvedOptions;
  /** This box's id. */
  readonly self: string;
  readonly clock: Clock;
  readonly components: ReplicationComponents;
  readonly client: PeerClient;
  readonly saved: ReplicationState;
  readonly logger: Logger | undefined;
  readonly counters: ReplicationCounters;
  readonly index: DigestIndex;
  readonly tombstones: Map<string, Tombstone>;
  readonly reservations: Map<string, Reservation>;
  readonly refused: Map<string, true>;
  readonly limits: SourceLimits;
  readonly peers: Peer[];
  readonly inFlight: Set<Promise<unknown>>;
  conflicts: Conflict[];
  conflictsLost: number;
  access: RegistryAccess | undefined;
  running: boolean;
  reindexing: boolean;
  /** The registry could not be read (its store is unavailable): indexed on a later tick. */
  needsIndex: boolean;
}

export function track<T>(ctx: ReplicationContext, p: Promise<T>): Promise<T> {
  ctx.inFlight.add(p);
  void p.finally(() => ctx.inFlight.delete(p)).catch(() => undefined);
  return p;
}
