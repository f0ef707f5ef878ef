/** Public types of the DHT node: options, components, status. Re-exported by index.ts. */
import type { Clock, Scheduler, ScheduledTask } from '@lanbox/clock';
import type { Family, InfoHash, Query, Value } from './codec/types.js';
import type { StorageOptions, StorageStats } from './storage/index.js';
import type { Transport } from './transport/transport.js';
import type { BootstrapNode } from './routing/bootstrap-list.js';

export type { Clock, Scheduler, ScheduledTask };

/** OpenDHT's default UDP port (`DHT_DEFAULT_PORT`). */
export const DEFAULT_PORT = 4222;

/**
 * User agent (`v`) on every message. OpenDHT ≥ 2.6 (and so every current Jami) sends "o2";
 * 2.4 sent "RNG1". The field is informational only; we behave like a current node (e.g. the
 * listen confirmation carries a token), so we say "o2".
 */
export const USER_AGENT = 'o2';

export interface RateLimitOptions {
  /** Requests per second accepted from one IP (IPv6: one /64). `-1` disables. @default 1024 */
  perIp?: number;
  /** Requests per second accepted in total. `-1` disables. @default 8192 */
  global?: number;
  /** How many source IPs (/64s) are tracked at once; beyond that only the global limit applies. @default 4096 */
  maxTrackedIps?: number;
}

export interface DhtNodeOptions {
  /** UDP port for both families; 0 picks a free one. Ignored when a `transport` component is given. @default 4222 */
  port?: number;
  /** IPv4 bind address; `null` disables IPv4. @default '0.0.0.0' */
  bind4?: string | null;
  /** IPv6 bind address; `null` disables IPv6. @default '::' */
  bind6?: string | null;
  /** Network id (`n`); datagrams of another network are dropped silently. Jami uses 0. @default 0 */
  networkId?: number;
  /** Node id as 40 hex digits. Default: the persisted one, else random. */
  id?: string;
  /**
   * Bootstrap nodes pinged while we know no good node: `{ host, port }`, or text `HOST:PORT`,
   * `[V6]:PORT` or a bare host (port 4222). A malformed entry makes `createDhtNode` throw
   * `BootstrapEntryError`. @default []
   */
  bootstrap?: readonly (string | BootstrapNode)[];
  /** Request rate limits; `null` disables them (like `dhtnode -U`). @default { perIp: 1024, global: 8192 } */
  rateLimit?: RateLimitOptions | null;
  /** Client mode (`s: true`): peers keep us out of their routing tables. @default false */
  clientMode?: boolean;
  /**
   * Refuse puts for keys this node is not among the closest to (OpenDHT's "too far" check).
   * Off by default: a LAN box is the one node every phone bootstraps from and is expected to keep
   * every value it is given, even when a few other nodes are closer to the key.
   * @default false
   */
  rejectTooFar?: boolean;
  /** Kademlia "bootstrap mode": split buckets of depth < 6 even without our id (a bootstrap box sees many nodes). @default true */
  bootstrapMode?: boolean;
  /** Largest datagram accepted; OpenDHT never sends more than ~1.4 KB (values ≥ 600 B are fragmented). @default 16384 */
  maxDatagramBytes?: number;
  /** Most requests awaiting an answer at once; more are refused (counted). @default 4096 */
  maxTransactions?: number;
  /**
   * Packed value bytes one reply to a `get` without SELECT carries at most; the values that fit
   * are sent (OpenDHT readers accept partial answers; paginated gets, which every OpenDHT client
   * and our own node use, ask for one value at a time and never reach it). A single value always
   * goes, so 64 KiB makes the largest reply the same as for one maximum-size value (65 568 B):
   * a spoofed get on a key filled with many values gains nothing over one big value.
   * @default 65536
   */
  maxGetReplyBytes?: number;
  /**
   * Rows (values) one `fileds` reply (answer to a SELECT) lists at most; such a reply is one
   * datagram, so it also stays under 12 KiB, inside our own 16 KiB `maxDatagramBytes`.
   * @default 1024
   */
  maxSelectRows?: number;
  /** Most value ids our own `get` fetches one by one after its SELECT phase. @default 1024 */
  maxGetIds?: number;
  /** Most concurrent fragment reassemblies. @default 256 */
  maxReassemblies?: number;
  /** Addresses blacklisted at most (oldest forgotten first). @default 1024 */
  maxBlacklist?: number;
  /** Self-driven maintenance period through the scheduler; 0 = only when the owner calls `tick()`. @default 1000 */
  tickIntervalMs?: number;
  /** How often the routing cache is written to `db`. @default 300000 */
  persistIntervalMs?: number;
  /** Storage limits and quotas (each field documents its default). @default {} */
  storage?: StorageOptions;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Resolves a bootstrap host name to addresses (default: node:dns lookup with all: true). */
export type Resolver = (host: string) => Promise<Array<{ address: string; family: Family }>>;

/** The part of abstract-level the node uses (ClassicLevel / MemoryLevel with utf8 values, or a sublevel). */
export interface DhtDb {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

export interface DhtNodeComponents {
  /** Default: a UDP transport built from `port`, `bind4`, `bind6`. */
  transport?: Transport;
  /** Where node id and routing cache survive restarts. Default: nothing persisted. */
  db?: DhtDb;
  clock?: Clock;
  scheduler?: Scheduler;
  /** Random bytes. Default: crypto.randomBytes. */
  rng?: (n: number) => Uint8Array;
  logger?: Logger;
  resolver?: Resolver;
}

export interface GetOptions {
  /** Only values matching the query's WHERE part are returned. */
  query?: Query;
  /** Give up after this long. @default 10000 */
  timeoutMs?: number;
}

export interface PutOptions {
  /** Re-announce before expiry until `cancelPut`/stop (OpenDHT's permanent put; no `c` sent). @default false */
  permanent?: boolean;
  /** Creation time (ms); sent as `c`. Default: now (not sent for permanent puts). */
  createdMs?: number;
}

/** What a put achieved. */
export interface PutResult {
  /** Remote nodes that acknowledged the value. */
  acks: number;
  /** Our own storage kept it (stored, refreshed or edited). */
  stored: boolean;
  /** Why our own storage refused it (`bad-signature`, `too-large`, `old-seq`, …), when it did. */
  refused?: string;
}

/** Called with new/updated values (`expired` false) or values that went away (`expired` true). */
export type ListenCallback = (values: Value[], expired: boolean) => void;

export interface FamilyNodeCounts {
  good: number;
  dubious: number;
  total: number;
  buckets: number;
}

export interface DhtCounters {
  received: number;
  sent: number;
  sendErrors: number;
  requestsIn: Record<string, number>;
  dropped: {
    malformed: number;
    netid: number;
    ratelimited: number;
    blacklisted: number;
    martian: number;
    oversize: number;
    selfOrZeroId: number;
    unmatchedReply: number;
    transactionsFull: number;
    /** Listener updates not sent: too many unanswered ones to that listener's address (or in all). */
    updatesThrottled: number;
  };
  /** Get replies (without SELECT) that carried only part of the matching values (`maxGetReplyBytes`). */
  getRepliesTruncated: number;
  /** `fileds` replies that carried only part of the matching rows (`maxSelectRows`, 12 KiB). */
  selectRepliesTruncated: number;
  errorsSent: number;
  errorsReceived: number;
  /** Exceptions caught while processing a datagram or a timeout (bugs; logged). */
  internalErrors: number;
  timeouts: number;
  retransmissions: number;
  reassembly: { completed: number; dropped: number };
}

export interface DhtStatus {
  id: string;
  ports: { 4: number | null; 6: number | null };
  networkId: number;
  nodes: { 4: FamilyNodeCounts; 6: FamilyNodeCounts };
  /** Storage figures, including refusals by reason, evictions and expirations. */
  storage: StorageStats;
  counters: DhtCounters;
  transactions: number;
  searches: number;
  listens: number;
  blacklisted: number;
  bootstrapping: boolean;
}

export interface DhtNode {
  /** Our 20-byte node id (final once `start()` resolved: it may come from the db). */
  readonly id: InfoHash;
  readonly networkId: number;
  /** Bind sockets, load id + routing cache, start bootstrap and maintenance. */
  start(): Promise<void>;
  /** Persist the routing cache, cancel searches and listens, close sockets. */
  stop(): Promise<void>;
  /** Periodic maintenance; called by the node's own scheduler task, callable by the owner too. */
  tick(): void;
  /** Bound UDP port of a family, or null. */
  port(family: Family): number | null;
  /** Values stored at `key` (local storage + closest nodes of both families), deduplicated. */
  get(key: InfoHash, options?: GetOptions): Promise<Value[]>;
  /** Store a value locally and on the closest nodes; resolves with how many remote nodes acknowledged it and whether our own storage kept it. */
  put(key: InfoHash, value: Value, options?: PutOptions): Promise<PutResult>;
  /** Stop re-announcing a permanent put. */
  cancelPut(key: InfoHash, valueId: bigint): void;
  /** Follow a key: values now and as they change. Returns the cancel function. */
  listen(key: InfoHash, callback: ListenCallback, query?: Query): () => void;
  /** Closest good nodes to `target` found by an iterative lookup (both families). */
  find(target: InfoHash): Promise<Array<{ id: InfoHash; family: Family; address: string; port: number }>>;
  /** Ping an address; resolves with the remote id, or null on timeout. */
  ping(family: Family, address: string, port: number): Promise<InfoHash | null>;
  /** Offer a node heard of elsewhere (e.g. LAN discovery): it is pinged and added when it answers. */
  addNode(family: Family, address: string, port: number): void;
  status(): DhtStatus;
}
