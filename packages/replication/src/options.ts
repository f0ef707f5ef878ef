/** Options of `createReplication`. Every field but `boxId` has a default suited to a LAN of a few boxes. */
export interface ReplicationOptions {
  /** This box's id, 40 hex (the appliance uses its DHT node id). */
  boxId: string;
  /** Boxes to reach without discovery (`--peer-box HOST:PORT`, the peer's web port). @default [] */
  peers?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /**
   * Operator key shared by the boxes of one site (at least 16 characters). Removals made with it
   * replicate; removals arriving from peers are checked with it. Without it, removals stay local
   * and removals from peers are refused. @default undefined
   */
  siteKey?: string;
  /** Period of the anti-entropy exchange with each reachable box. @default 10000 */
  syncIntervalMs?: number;
  /** Period of the attempts to reach a box that did not answer. @default 5000 */
  retryIntervalMs?: number;
  /** Time allowed for one request to another box. @default 10000 */
  requestTimeoutMs?: number;
  /** Time allowed to a box to accept a registration before it is counted unreachable. @default 2000 */
  reserveTimeoutMs?: number;
  /** How long a name accepted for another box's pending registration stays reserved. @default 30000 */
  reservationTtlMs?: number;
  /** Entries fetched per request during anti-entropy. @default 500 */
  pageSize?: number;
  /** Buckets copied at once during anti-entropy with one box. @default 4 */
  syncConcurrency?: number;
  /** Records and removals accepted in one push. @default 100 */
  maxPushRecords?: number;
  /** Boxes tracked (configured, discovered, or that contacted us). @default 32 */
  maxPeers?: number;
  /** Requests accepted per second from one address (burst twice that). @default 200 */
  maxRequestsPerSecond?: number;
  /** Pushed records accepted per second from one address (burst five times that). @default 1000 */
  maxPushedRecordsPerSecond?: number;
  /** Records failing verification tolerated from one address before it is blocked for `blockMs`. @default 20 */
  maxBadRecords?: number;
  /** How long an address that sent too many bad records is refused. @default 600000 */
  blockMs?: number;
  /** Losing records kept for the operator. @default 1000 */
  maxConflicts?: number;
  /** Removals remembered (so that a box coming back cannot bring a removed name back). @default 100000 */
  maxTombstones?: number;
  /** Largest entry list served for one bucket. @default 20000 */
  maxBucketEntries?: number;
}

export type ResolvedOptions = Required<Omit<ReplicationOptions, 'siteKey'>> & { siteKey: string | undefined };

export const DEFAULT_OPTIONS = {
  peers: [],
  syncIntervalMs: 10_000,
  retryIntervalMs: 5_000,
  requestTimeoutMs: 10_000,
  reserveTimeoutMs: 2_000,
  reservationTtlMs: 30_000,
  pageSize: 500,
  syncConcurrency: 4,
  maxPushRecords: 100,
  maxPeers: 32,
  maxRequestsPerSecond: 200,
  maxPushedRecordsPerSecond: 1000,
  maxBadRecords: 20,
  blockMs: 600_000,
  maxConflicts: 1000,
  maxTombstones: 100_000,
  maxBucketEntries: 20_000,
} as const satisfies Omit<ResolvedOptions, 'boxId' | 'siteKey'>;

export function resolveOptions(options: ReplicationOptions): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const r = { ...DEFAULT_OPTIONS, siteKey: undefined, ...defined } as unknown as ResolvedOptions;
  const problems: string[] = [];
  if (typeof r.boxId !== 'string' || !/^[0-9a-f]{40}$/.test(r.boxId)) problems.push('boxId must be 40 lowercase hex digits');
  if (r.siteKey !== undefined && (typeof r.siteKey !== 'string' || r.siteKey.length < 16)) problems.push('siteKey must be at least 16 characters');
  for (const [k, v] of Object.entries(r)) {
    if (k === 'boxId' || k === 'siteKey' || k === 'peers') continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) problems.push(`${k} must be a positive integer`);
  }
  if (problems.length > 0) throw new RangeError(`invalid replication options: ${problems.join('; ')}`);
  return r;
}
