/** Tunables of the discovery service, with their defaults. */

/** OpenDHT's discovery port (`PeerDiscovery::DEFAULT_PORT`). */
export const DEFAULT_PORT = 8888;
/** OpenDHT's IPv4 group (organization-local scope). */
export const DEFAULT_GROUP_IPV4 = '239.192.0.1';
/** OpenDHT's IPv6 group (organization-local scope). */
export const DEFAULT_GROUP_IPV6 = 'ff08::101';

export interface DiscoveryOptions {
  /** UDP port bound (with address reuse) and sent to, both families. @default 8888 */
  port?: number;
  /** IPv4 multicast group. @default '239.192.0.1' */
  groupIpv4?: string;
  /** IPv6 multicast group. @default 'ff08::101' */
  groupIpv6?: string;
  /**
   * Delay between the first and second query+announcement round after start or an address
   * change; it then doubles up to `refreshIntervalMs` (OpenDHT 4.x: rounds at 0, 10, 30, 70 s).
   * @default 10000
   */
  firstRetryMs?: number;
  /**
   * Period of the steady query+announcement rounds (±10 % jitter). OpenDHT stops after its
   * back-off; we keep a sparse period so that the nearby lists stay fresh: publishers answer
   * the query by unicast. @default 60000
   */
  refreshIntervalMs?: number;
  /** A nearby DHT node or Jami account not heard for this long is forgotten. @default 150000 */
  nearbyTtlMs?: number;
  /** Bound on the nearby DHT nodes list (per family and node id). @default 64 */
  maxNearbyNodes?: number;
  /** Bound on the nearby Jami accounts list. @default 64 */
  maxNearbyAccounts?: number;
  /** Larger datagrams are dropped unread (OpenDHT's announcements are under 100 bytes). @default 2048 */
  maxDatagramBytes?: number;
  /** Datagrams accepted per source address per second (token bucket, burst of the same size). @default 10 */
  maxDatagramsPerSourcePerSecond?: number;
  /** Datagrams accepted per second from all sources together. @default 200 */
  maxDatagramsPerSecond?: number;
  /** Source addresses tracked by the per-source limit (least recently seen is forgotten). @default 256 */
  maxTrackedSources?: number;
  /** Unicast answers to queries per second, all sources together. @default 20 */
  maxRepliesPerSecond?: number;
  /** How often to retry opening a family's socket that failed while that family has interfaces. @default 30000 */
  reopenIntervalMs?: number;
}

export type ResolvedOptions = Required<DiscoveryOptions>;

export const DEFAULT_OPTIONS: ResolvedOptions = {
  port: DEFAULT_PORT,
  groupIpv4: DEFAULT_GROUP_IPV4,
  groupIpv6: DEFAULT_GROUP_IPV6,
  firstRetryMs: 10_000,
  refreshIntervalMs: 60_000,
  nearbyTtlMs: 150_000,
  maxNearbyNodes: 64,
  maxNearbyAccounts: 64,
  maxDatagramBytes: 2048,
  maxDatagramsPerSourcePerSecond: 10,
  maxDatagramsPerSecond: 200,
  maxTrackedSources: 256,
  maxRepliesPerSecond: 20,
  reopenIntervalMs: 30_000,
};

/** Merges defaults and lists every invalid field at once. */
export function resolveOptions(options: DiscoveryOptions): { options: ResolvedOptions; errors: string[] } {
  const merged: ResolvedOptions = { ...DEFAULT_OPTIONS };
  for (const [k, v] of Object.entries(options) as Array<[keyof DiscoveryOptions, unknown]>) {
    if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  }
  const errors: string[] = [];
  if (!Number.isInteger(merged.port) || merged.port < 1 || merged.port > 0xffff) errors.push(`port: ${merged.port}`);
  if (typeof merged.groupIpv4 !== 'string' || !/^2(2[4-9]|3\d)\./.test(merged.groupIpv4)) errors.push(`groupIpv4: ${merged.groupIpv4}`);
  if (typeof merged.groupIpv6 !== 'string' || !/^ff/i.test(merged.groupIpv6)) errors.push(`groupIpv6: ${merged.groupIpv6}`);
  const positive: Array<keyof ResolvedOptions> = [
    'firstRetryMs',
    'refreshIntervalMs',
    'nearbyTtlMs',
    'maxNearbyNodes',
    'maxNearbyAccounts',
    'maxDatagramBytes',
    'maxDatagramsPerSourcePerSecond',
    'maxDatagramsPerSecond',
    'maxTrackedSources',
    'maxRepliesPerSecond',
    'reopenIntervalMs',
  ];
  for (const k of positive) {
    const v = merged[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) errors.push(`${k}: ${String(v)}`);
  }
  return { options: merged, errors };
}
