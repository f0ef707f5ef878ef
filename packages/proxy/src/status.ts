/** The proxy's status report (`/api/status`). */
import type { ProxyContext } from './context.js';

export interface ProxyStatus {
  listening: boolean;
  port: number | null;
  /** Distinct client addresses with an open connection. */
  clients: number;
  connections: number;
  listens: number;
  /** Keys with a DHT listen open on behalf of streams or subscriptions. */
  keysWatched: number;
  subscriptions: { total: number; unifiedpush: number; android: number; ios: number; none: number };
  permanentPuts: number;
  requests: {
    total: number;
    get: number;
    put: number;
    listen: number;
    subscribe: number;
    unsubscribe: number;
    info: number;
    other: number;
    notImplemented: number;
  };
  pushes: {
    sent: number;
    failed: number;
    /** Subscriptions and pings refused because their endpoint is not allowed (no open relay). */
    refused: number;
    /** Android/iOS pushes with no gateway configured. */
    undeliverable: number;
    /** Dropped because `maxPushQueue` pushes were already waiting. */
    dropped: number;
    queued: number;
    encrypted: number;
    inFlight: number;
  };
  refused: {
    connections: number;
    listens: number;
    subscriptions: number;
    permanentPuts: number;
    bodyTooLarge: number;
    badRequests: number;
  };
  /** Listen streams dropped because the client did not read fast enough. */
  slowStreamsDropped: number;
  dht: { gets: number; puts: number; putsRefused: number; lastOkMs: number | null };
  persist: { writes: number; errors: number; restoredSubscriptions: number; restoredPuts: number };
  internalErrors: number;
}

export const status = (ctx: ProxyContext): ProxyStatus => {
  const bySub = { total: ctx.subscriptions.size, unifiedpush: 0, android: 0, ios: 0, none: 0 };
  for (const s of ctx.subscriptions.values()) bySub[s.platform]++;
  let clients = 0;
  for (const s of ctx.perAddress.values()) if (s.connections > 0) clients++;
  return {
    listening: ctx.listening,
    port: ctx.port(),
    clients,
    connections: ctx.connectionCount,
    listens: ctx.listenCount,
    keysWatched: ctx.watches.size,
    subscriptions: bySub,
    permanentPuts: ctx.putCount,
    requests: { ...ctx.counters.requests },
    pushes: { ...ctx.counters.pushes },
    refused: { ...ctx.counters.refused },
    slowStreamsDropped: ctx.counters.slowStreamsDropped,
    dht: { ...ctx.counters.dht },
    persist: { ...ctx.counters.persist },
    internalErrors: ctx.counters.internalErrors,
  };
};
