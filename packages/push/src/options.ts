/** Options, defaults and collaborators of the push service. */
import type { Clock } from '@lanbox/clock';

export interface PushServiceOptions {
  /** TCP port; 0 picks a free one. @default 8082 */
  port?: number;
  /** Bind address. Default: every address, dual stack when IPv6 is available. */
  host?: string;
  /** How long a message stays available for replay (ntfy's default cache duration). @default 43200000 */
  cacheDurationMs?: number;
  /** Messages kept per topic (oldest dropped first). @default 100 */
  maxMessagesPerTopic?: number;
  /** Topics with cached messages; a publish to a new topic beyond it is refused. @default 10000 */
  maxTopics?: number;
  /** Cached message bytes in all; oldest messages are dropped beyond it. @default 16777216 */
  maxCachedBytes?: number;
  /** Message body size (ntfy's limit; Jami's encrypted push is well under it). @default 4096 */
  maxMessageBytes?: number;
  /** Open subscription streams in all. @default 4096 */
  maxSubscribers?: number;
  /** Open subscription streams per client address. @default 64 */
  maxSubscribersPerAddress?: number;
  /** Topics one stream may name. @default 64 */
  maxTopicsPerSubscription?: number;
  /** Open connections per client address. @default 256 */
  maxConnectionsPerAddress?: number;
  /** Silence after which a stream gets a keepalive line; the app gives up after 77 s. @default 30000 */
  keepaliveMs?: number;
  /** Own maintenance period (keepalives, cache expiry); 0 = only when the owner calls `tick()`. @default 5000 */
  tickIntervalMs?: number;
  /** Time to receive request headers (slowloris). @default 10000 */
  headersTimeoutMs?: number;
  /** Time to receive a whole request. @default 30000 */
  requestTimeoutMs?: number;
}

export interface PushServiceComponents {
  /** Milliseconds; default Date.now. */
  clock?: Clock;
  logger?: { debug(o: object, m?: string): void; info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
}

export const PUSH_DEFAULTS = {
  port: 8082,
  host: undefined as string | undefined,
  cacheDurationMs: 12 * 3600_000,
  maxMessagesPerTopic: 100,
  maxTopics: 10_000,
  maxCachedBytes: 16 * 1024 * 1024,
  maxMessageBytes: 4096,
  maxSubscribers: 4096,
  maxSubscribersPerAddress: 64,
  maxTopicsPerSubscription: 64,
  maxConnectionsPerAddress: 256,
  keepaliveMs: 30_000,
  tickIntervalMs: 5000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};
