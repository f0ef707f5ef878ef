/**
 * The state the proxy's parts share: options, collaborators, what is held (watches,
 * subscriptions, permanent puts), per-address slots and counters.
 */
import type { Value } from '@lanbox/dht';
import type { ServerResponse } from 'node:http';
import type { Platform } from './codec/push.js';
import type { PutPush } from './codec/value-json.js';
import type { Logger, ProxyDb, ProxyDht, ResolvedOptions } from './options.js';
import type { PushTransport } from './push/sender.js';

export interface Stream {
  res: ServerResponse;
  address: string;
}

export interface Subscription {
  id: string;
  token: string;
  keyHex: string;
  clientId: string;
  sessionId: string;
  platform: Platform;
  topic: string;
  address: string;
  expiresAt: number;
  pushAt: number;
  refreshPushed: boolean;
}

export interface PermanentPut {
  keyHex: string;
  key: Uint8Array;
  value: Value;
  address: string;
  push?: PutPush;
  expiresAt: number;
  pushAt: number;
  refreshPushed: boolean;
}

export interface Watch {
  key: Uint8Array;
  keyHex: string;
  cancel: () => void;
  values: Map<bigint, Value>;
  streams: Set<Stream>;
  subs: Set<Subscription>;
}

export type Counters = ReturnType<typeof newCounters>;

export const newCounters = () => ({
  requests: { total: 0, get: 0, put: 0, listen: 0, subscribe: 0, unsubscribe: 0, info: 0, other: 0, notImplemented: 0 },
  pushes: { sent: 0, failed: 0, refused: 0, undeliverable: 0, dropped: 0, encrypted: 0, inFlight: 0, queued: 0 },
  refused: { connections: 0, listens: 0, subscriptions: 0, permanentPuts: 0, bodyTooLarge: 0, badRequests: 0 },
  slowStreamsDropped: 0,
  dht: { gets: 0, puts: 0, putsRefused: 0, lastOkMs: null as number | null },
  persist: { writes: 0, errors: 0, restoredSubscriptions: 0, restoredPuts: 0 },
  internalErrors: 0,
});

export interface ProxyContext {
  readonly o: ResolvedOptions;
  readonly dht: ProxyDht;
  readonly db: ProxyDb | undefined;
  readonly logger: Logger | undefined;
  readonly now: () => number;
  readonly rng: (n: number) => Uint8Array;
  readonly transport: PushTransport;
  readonly allowPushTarget: ((url: URL) => boolean) | undefined;
  /** The bound TCP port, or null while not listening. */
  readonly port: () => number | null;
  readonly watches: Map<string, Watch>;
  readonly subscriptions: Map<string, Subscription>;
  readonly puts: Map<string, Map<bigint, PermanentPut>>;
  readonly perAddress: Map<string, { connections: number; listens: number; subs: number; puts: number }>;
  readonly pendingWrites: Set<Promise<unknown>>;
  // Pushes wait in a bounded queue and go out `maxPushesInFlight` at a time: a value on a key
  // that hundreds of phones follow must reach all of them, not only the first few.
  readonly pushQueue: Array<{ url: string; headers: Record<string, string>; body: Uint8Array }>;
  listenCount: number;
  putCount: number;
  connectionCount: number;
  listening: boolean;
  readonly counters: Counters;
}
