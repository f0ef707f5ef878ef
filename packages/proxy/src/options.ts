/** The proxy's options (one documented default each) and components. */
import type { Clock } from '@lanbox/clock';
import type { DhtNode } from '@lanbox/dht';
import type { PushTransport } from './push/sender.js';

export interface ProxyOptions {
  /** TCP port; 0 picks a free one. @default 8080 */
  port?: number;
  /** Bind address. Default: every address, dual stack when IPv6 is available (IPv4 clients then show as `::ffff:a.b.c.d`, like OpenDHT). */
  host?: string;
  /** Open TCP connections per client address. @default 1100 */
  maxConnectionsPerAddress?: number;
  /** Open TCP connections in all. @default 20000 */
  maxConnections?: number;
  /** Listen streams (`GET /key/H/listen`) per client address. @default 1024 */
  maxListensPerAddress?: number;
  /** Listen streams in all. @default 16384 */
  maxListens?: number;
  /** Push subscriptions per client address. @default 1024 */
  maxSubscriptionsPerAddress?: number;
  /** Push subscriptions in all. @default 16384 */
  maxSubscriptions?: number;
  /** Permanent puts per client address. @default 256 */
  maxPermanentPutsPerAddress?: number;
  /** Permanent puts in all. @default 8192 */
  maxPermanentPuts?: number;
  /** Request body size (a 64 KiB value in base64 with signature and owner key fits). @default 131072 */
  maxBodyBytes?: number;
  /** Time to receive a request's headers (slowloris). @default 10000 */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included; listens are not cut (their request is short). @default 30000 */
  requestTimeoutMs?: number;
  /** Idle time allowed between two requests on a kept-alive connection. @default 5000 */
  keepAliveTimeoutMs?: number;
  /** TCP keepalive probe delay on listen streams (OpenDHT streams carry no heartbeat data). @default 60000 */
  listenKeepAliveMs?: number;
  /** Bytes queued for a slow listen stream before it is dropped. @default 1048576 */
  maxBufferedBytesPerStream?: number;
  /** Deadline of the DHT get behind `GET /key/H`. @default 10000 */
  getTimeoutMs?: number;
  /** gorush-style gateway for `android`/`ios` subscriptions (`http://host:port`, posted to `/api/push` unless a path is given). @default null */
  pushGateway?: string | null;
  /** UnifiedPush endpoint origins (`http://host:port`) pushes may go to, besides what `allowPushTarget` accepts. @default [] */
  allowedPushOrigins?: string[];
  /** iOS topic used when a subscription gives none (OpenDHT's `--bundleid`). @default '' */
  iosBundleId?: string;
  /** Push requests in flight at once; more wait in the queue. @default 32 */
  maxPushesInFlight?: number;
  /** Pushes waiting to be sent; beyond it new pushes are dropped (counted). A put on a key many phones follow queues one push per phone. @default 8192 */
  maxPushQueue?: number;
  /** Lifetime of subscriptions and permanent puts without renewal (OpenDHT `OP_TIMEOUT`). @default 86400000 */
  operationLifetimeMs?: number;
  /** How long before that lifetime ends the "renew" push is sent (OpenDHT `OP_MARGIN`). @default 7200000 */
  refreshMarginMs?: number;
}

export const DEFAULTS = {
  port: 8080,
  host: undefined as string | undefined,
  maxConnectionsPerAddress: 1100,
  maxConnections: 20_000,
  maxListensPerAddress: 1024,
  maxListens: 16_384,
  maxSubscriptionsPerAddress: 1024,
  maxSubscriptions: 16_384,
  maxPermanentPutsPerAddress: 256,
  maxPermanentPuts: 8192,
  maxBodyBytes: 131_072,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5000,
  listenKeepAliveMs: 60_000,
  maxBufferedBytesPerStream: 1_048_576,
  getTimeoutMs: 10_000,
  pushGateway: null as string | null,
  allowedPushOrigins: [] as string[],
  iosBundleId: '',
  maxPushesInFlight: 32,
  maxPushQueue: 8192,
  operationLifetimeMs: 24 * 3600_000,
  refreshMarginMs: 2 * 3600_000,
};

export type ResolvedOptions = typeof DEFAULTS;

/** The part of `@lanbox/dht`'s node the proxy uses. */
export type ProxyDht = Pick<DhtNode, 'get' | 'put' | 'cancelPut' | 'listen' | 'status'>;

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The part of abstract-level (a `level` sublevel with utf8 keys and values) the proxy persists to. */
export interface ProxyDb {
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  iterator(): AsyncIterable<[string, string]>;
}

export interface ProxyComponents {
  dht: ProxyDht;
  /** Where subscriptions and permanent puts survive restarts. Default: nothing persisted. */
  db?: ProxyDb;
  /** Milliseconds; default Date.now. */
  clock?: Clock;
  /** Random bytes (value ids, encryption salts); default crypto.randomBytes. */
  rng?: (n: number) => Uint8Array;
  logger?: Logger;
  /** Sends push requests; default: HTTP(S) POST with a 10 s deadline. */
  pushTransport?: PushTransport;
  /** Extra rule for UnifiedPush endpoints, e.g. "the box's own push service on any of its addresses". */
  allowPushTarget?: (url: URL) => boolean;
}
