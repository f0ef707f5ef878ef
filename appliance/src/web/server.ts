/**
 * The web port: status page, /api/status and mounted routes (the name server). Built un-listened
 * by `createWebServer`; main.ts listens. Everything a client can grow is bounded: header size,
 * body size (by Content-Length, before any route reads it; larger bodies only for the operator),
 * time to send headers and the whole request, idle time, and connections, per client address
 * and in total. When the total is reached, a newcomer takes the place of the oldest idle
 * connection of the address holding the most, so one address (or thousands of half-open
 * "slowloris" connections) cannot keep a normal client out. Every response carries the security
 * headers. `close()` stops accepting, lets requests in progress finish for a bounded time, then
 * closes what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { renderStatusPage, STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE, type PageModel } from './status-page.js';
import { pageAddress } from './page/sections/qr.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';

/** A mounted route handler: returns true when it answered the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface WebLimits {
  /** Open connections in total. @default 512 */
  maxConnections?: number;
  /** Open connections per client address (IPv4-mapped IPv6 counts as IPv4). @default 16 */
  maxConnectionsPerAddress?: number;
  /** Largest request body any route may receive (the name server's registrations are ~3 KB). @default 65536 */
  maxBodyBytes?: number;
  /** @default 8192 */
  maxHeaderBytes?: number;
  /** Time allowed to send the request headers. @default 5000 */
  headersTimeoutMs?: number;
  /** Time allowed to send the whole request, body included. @default 10000 */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this. @default 5000 */
  keepAliveTimeoutMs?: number;
  /** A connection with no traffic at all (e.g. a client that does not read the answer) is closed after this. @default 30000 */
  idleTimeoutMs?: number;
}

export interface WebCounters {
  requests: number;
  notFound: number;
  tooLarge: number;
  errors: number;
  /** Connections open now. */
  connections: number;
  /** Connections refused because their address already had `maxConnectionsPerAddress`. */
  refusedPerAddress: number;
  /** Idle connections closed to make room for a client with fewer connections. */
  evicted: number;
  /** Connections refused because every connection was busy or the newcomer's address held the most. */
  refusedFull: number;
}

export interface WebServerOptions {
  /** The whole /api/status document; `req` tells which address the client reached (URLs to type). */
  status: (req?: IncomingMessage) => object;
  /** What the status page shows when first served (the page then polls /api/status); the server adds the page's own URL. */
  page: () => Omit<PageModel, 'pageUrl'>;
  /** Tried in order for anything that is not the page or /api/*. */
  routes: RouteHandler[];
  limits?: WebLimits;
  /** Paths allowed a larger body than `maxBodyBytes` (the operator's registry import)… */
  bodyLimits?: Record<string, number>;
  /** …and only for requests this accepts (the operator's token); others get `maxBodyBytes`. @default none */
  largeBodyAllowed?: (req: IncomingMessage) => boolean;
  onError?: (err: unknown) => void;
}

export interface WebServer {
  readonly server: Server;
  readonly counters: WebCounters;
  /** Stops accepting, waits up to `graceMs` for requests in progress, then closes every connection. */
  close(graceMs: number): Promise<void>;
}

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

// The page's only script and style are inline; CSP allows exactly those by hash.
const CSP = [
  "default-src 'none'",
  `script-src ${sha256(STATUS_PAGE_SCRIPT)}`,
  `style-src ${sha256(STATUS_PAGE_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// No Cross-Origin-Opener-Policy: browsers ignore it on plain-http origins other than localhost,
// which the box on a LAN always is, and Chromium logs a console error for it on every load.
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

function send(res: ServerResponse, code: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

/** Most of a refused body we read and drop so the client sees the 413 instead of a reset. */
const DISCARD_LIMIT = 64 * 1024;

/** Answers 413 and closes the connection, reading at most DISCARD_LIMIT of the body meanwhile. */
function refuseBody(req: IncomingMessage, res: ServerResponse, message: string): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_LIMIT) req.socket.destroy();
  });
  res.once('finish', () => req.socket.destroy());
  send(res, 413, 'application/json', JSON.stringify({ error: message }), { Connection: 'close' });
}

/** One client, for connection caps: the address, with IPv4-mapped IPv6 read as IPv4. */
const addressOf = (socket: Socket): string => (socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

interface Conn {
  readonly address: string;
  /** Requests in progress on this connection (headers received, answer not finished). */
  busy: number;
}

export function createWebServer(options: WebServerOptions): WebServer {
  const limits = {
    maxConnections: options.limits?.maxConnections ?? 512,
    maxConnectionsPerAddress: options.limits?.maxConnectionsPerAddress ?? 16,
    maxBodyBytes: options.limits?.maxBodyBytes ?? 65536,
    maxHeaderBytes: options.limits?.maxHeaderBytes ?? 8192,
    headersTimeoutMs: options.limits?.headersTimeoutMs ?? 5000,
    requestTimeoutMs: options.limits?.requestTimeoutMs ?? 10000,
    keepAliveTimeoutMs: options.limits?.keepAliveTimeoutMs ?? 5000,
    idleTimeoutMs: options.limits?.idleTimeoutMs ?? 30000,
  };
  const counters: WebCounters = { requests: 0, notFound: 0, tooLarge: 0, errors: 0, connections: 0, refusedPerAddress: 0, evicted: 0, refusedFull: 0 };
  /** Open connections, oldest first. */
  const conns = new Map<Socket, Conn>();
  const perAddress = new Map<string, number>();
  let stopping = false;

  /** The oldest idle connection of an address holding the most (more than `than`), if any. */
  const victim = (than: number): Socket | undefined => {
    let most = 0;
    for (const n of perAddress.values()) most = Math.max(most, n);
    if (most <= than) return undefined;
    let best: Socket | undefined;
    let bestCount = than;
    for (const [socket, c] of conns) {
      if (c.busy > 0) continue;
      const n = perAddress.get(c.address) ?? 0;
      if (n > bestCount) {
        best = socket;
        bestCount = n;
        if (n === most) break;
      }
    }
    return best;
  };

  const admit = (socket: Socket): void => {
    const address = addressOf(socket);
    const mine = perAddress.get(address) ?? 0;
    if (stopping || mine >= limits.maxConnectionsPerAddress) {
      if (!stopping) counters.refusedPerAddress++;
      socket.destroy();
      return;
    }
    if (conns.size >= limits.maxConnections) {
      // A new address may take the place of any address's idle connection; an address that
      // already has some only that of one holding at least two more, so flooders with equal
      // shares are refused at once instead of evicting each other in a loop.
      const old = victim(mine === 0 ? 0 : mine + 1);
      if (old === undefined) {
        counters.refusedFull++;
        socket.destroy();
        return;
      }
      counters.evicted++;
      old.destroy();
    }
    conns.set(socket, { address, busy: 0 });
    perAddress.set(address, mine + 1);
    counters.connections = conns.size;
    socket.once('close', () => {
      if (!conns.delete(socket)) return;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
      counters.connections = conns.size;
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counters.requests++;
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (stopping) res.setHeader('Connection', 'close');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const declared = Number(req.headers['content-length'] ?? 0);
    const special = options.bodyLimits?.[path];
    const bodyLimit = special !== undefined && options.largeBodyAllowed?.(req) === true ? special : limits.maxBodyBytes;
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const bodyless = req.method === 'GET' || req.method === 'HEAD';
    if (!Number.isFinite(declared) || declared > bodyLimit || (chunked && special === undefined) || (bodyless && (chunked || declared > 0))) {
      // Chunked bodies have no declared size; the name server's clients always send a length, and
      // a GET has no body to read: refuse rather than read it to find the next request.
      counters.tooLarge++;
      refuseBody(req, res, 'request body too large, not allowed here, or without Content-Length');
      return;
    }
    if (bodyless) {
      if (path === '/' || path === '/index.html') {
        const model = options.page();
        const pageUrl = pageAddress(req.headers.host, model.addresses);
        send(res, 200, 'text/html; charset=utf-8', renderStatusPage({ ...model, pageUrl }), { 'Content-Security-Policy': CSP });
        return;
      }
      if (path === '/api/status') {
        send(res, 200, 'application/json', JSON.stringify(options.status(req)));
        return;
      }
      if (path === '/metrics') {
        send(res, 200, METRICS_CONTENT_TYPE, await renderMetrics(options.status() as Record<string, unknown>));
        return;
      }
    }
    for (const route of options.routes) {
      if (await route(req, res)) return;
    }
    counters.notFound++;
    send(res, 404, 'application/json', JSON.stringify({ error: 'not found' }));
  };

  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the two timeouts above only this often (default 30 s, which let idle
      // connections pile up); a 1 s sweep over at most maxConnections sockets is cheap.
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      const conn = conns.get(req.socket);
      if (conn !== undefined) {
        conn.busy++;
        res.once('close', () => conn.busy--);
      }
      handle(req, res).catch((err: unknown) => {
        counters.errors++;
        options.onError?.(err);
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
        else res.destroy();
      });
    },
  );
  server.on('connection', admit);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.timeout = limits.idleTimeoutMs;
  return {
    server,
    counters,
    async close(graceMs) {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Connections still sending their request headers carry nothing worth waiting for.
      for (const [socket, c] of conns) if (c.busy === 0) socket.destroy();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      server.closeAllConnections();
      for (const socket of conns.keys()) socket.destroy();
      await closed;
    },
  };
}
