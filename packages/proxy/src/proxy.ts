/**
 * The OpenDHT proxy server: the REST routes OpenDHT 2.4 and 4.x proxy clients (Jami on phones)
 * use, served as a client of the box's own DHT node. Listen streams and push subscriptions on
 * one key share one DHT listen. Push goes to UnifiedPush endpoints (RFC 8291 encrypted when the
 * subscription carries keys) and to a gorush gateway, and only to allowed targets.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { admitConnection } from './admission.js';
import { newCounters, type ProxyContext } from './context.js';
import { DEFAULTS, type ProxyComponents, type ProxyOptions, type ResolvedOptions } from './options.js';
import { restore } from './persistence.js';
import { createHttpPushTransport } from './push/sender.js';
import { renewAndExpire } from './registry.js';
import { json } from './responses.js';
import { route } from './router.js';
import { status, type ProxyStatus } from './status.js';

export type { ProxyStatus } from './status.js';

export interface DhtProxy {
  /** Open the port and restore persisted subscriptions and permanent puts. */
  start(): Promise<void>;
  /** Close every connection and the port; cancel DHT listens; wait for pending writes. */
  stop(): Promise<void>;
  /** Renewal pushes and expiries (subscriptions, permanent puts); call every few seconds. */
  tick(): void;
  status(): ProxyStatus;
  /** The bound TCP port, or null before start. */
  port(): number | null;
  /** The underlying server (tests, benchmarks). */
  readonly server: Server;
}

export function createDhtProxy(options: ProxyOptions, components: ProxyComponents): DhtProxy {
  const o: ResolvedOptions = { ...DEFAULTS, ...stripUndefined(options) };
  const ctx: ProxyContext = {
    o,
    dht: components.dht,
    db: components.db,
    logger: components.logger,
    now: () => (components.clock ?? Date).now(),
    rng: components.rng ?? ((n: number) => new Uint8Array(randomBytes(n))),
    transport: components.pushTransport ?? createHttpPushTransport(),
    allowPushTarget: components.allowPushTarget,
    port: () => (ctx.listening ? (server.address() as AddressInfo).port : null),
    watches: new Map(),
    subscriptions: new Map(),
    puts: new Map(),
    perAddress: new Map(),
    pendingWrites: new Set(),
    pushQueue: [],
    listenCount: 0,
    putCount: 0,
    connectionCount: 0,
    listening: false,
    counters: newCounters(),
  };
  const { logger } = ctx;

  const server = createServer({
    maxHeaderSize: 16_384,
    requestTimeout: o.requestTimeoutMs,
    headersTimeout: o.headersTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    // Node checks the two timeouts above only this often (30 s by default).
    connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(o.headersTimeoutMs / 2))),
  });
  server.maxHeadersCount = 64;
  server.timeout = 0;
  server.on('connection', (socket: Socket) => admitConnection(ctx, socket));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.sendDate = false;
    route(ctx, req, res).catch((err: unknown) => {
      ctx.counters.internalErrors++;
      logger?.error({ err }, 'proxy: request failed');
      if (!res.headersSent) json(res, 500, '{"err":"Internal server error"}');
      else res.destroy();
    });
  });
  // Malformed request lines, unknown methods (LISTEN, STATS: llhttp refuses them), oversized
  // headers, timeouts: answer 400 where a response can still be written, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    ctx.counters.refused.badRequests++;
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });

  return {
    server,
    port: ctx.port,
    async start() {
      await restore(ctx);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: o.port, ...(o.host !== undefined ? { host: o.host } : {}) }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      ctx.listening = true;
      logger?.info({ port: (server.address() as AddressInfo).port, subscriptions: ctx.subscriptions.size, permanentPuts: ctx.putCount }, 'dht proxy listening');
    },
    async stop() {
      if (ctx.listening) {
        ctx.listening = false;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      for (const w of ctx.watches.values()) w.cancel();
      ctx.watches.clear();
      await Promise.all([...ctx.pendingWrites]);
    },
    tick: () => renewAndExpire(ctx),
    status: () => status(ctx),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
