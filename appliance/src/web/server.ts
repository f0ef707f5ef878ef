/**
 * The web port: status page, /api/status and mounted routes (the name server). Built un-listened
 * by `createWebServer`; main.ts listens. Everything a client can grow is bounded: header size,
 * body size (by Content-Length, before any route reads it), time to send a request, concurrent
 * connections. Every response carries the security headers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { renderStatusPage, STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE, type PageModel } from './status-page.js';
import { pageAddress } from './page/sections/qr.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';

/** A mounted route handler: returns true when it answered the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface WebLimits {
  /** @default 128 */
  maxConnections?: number;
  /** Largest request body any route may receive (the name server's registrations are ~3 KB). @default 65536 */
  maxBodyBytes?: number;
  /** @default 8192 */
  maxHeaderBytes?: number;
  /** Time allowed to send the whole request. @default 10000 */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this. @default 5000 */
  keepAliveTimeoutMs?: number;
}

export interface WebCounters {
  requests: number;
  notFound: number;
  tooLarge: number;
  errors: number;
}

export interface WebServerOptions {
  /** The whole /api/status document; `req` tells which address the client reached (URLs to type). */
  status: (req?: IncomingMessage) => object;
  /** What the status page shows when first served (the page then polls /api/status); the server adds the page's own URL. */
  page: (req?: IncomingMessage) => Omit<PageModel, 'pageUrl'>;
  /**
   * Requests this returns true for go to `takeover` before anything else (Jami DNS mode: the DHT
   * proxy shares the web port by Host header). @default none
   */
  takeover?: { match: (req: IncomingMessage) => boolean; handle: (req: IncomingMessage, res: ServerResponse) => void };
  /** Tried in order for anything that is not the page or /api/*. */
  routes: RouteHandler[];
  limits?: WebLimits;
  /** Paths allowed a larger body than `maxBodyBytes` (the operator's registry import). */
  bodyLimits?: Record<string, number>;
  onError?: (err: unknown) => void;
}

export interface WebServer {
  readonly server: Server;
  readonly counters: WebCounters;
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

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

function send(res: ServerResponse, code: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

/** Most of a refused body we read and drop so the client sees the 413 instead of a reset. */
const DISCARD_LIMIT = 1024 * 1024;

function discardBody(req: IncomingMessage): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_LIMIT) req.socket.destroy();
  });
}

export function createWebServer(options: WebServerOptions): WebServer {
  const limits = {
    maxConnections: options.limits?.maxConnections ?? 128,
    maxBodyBytes: options.limits?.maxBodyBytes ?? 65536,
    maxHeaderBytes: options.limits?.maxHeaderBytes ?? 8192,
    requestTimeoutMs: options.limits?.requestTimeoutMs ?? 10000,
    keepAliveTimeoutMs: options.limits?.keepAliveTimeoutMs ?? 5000,
  };
  const counters: WebCounters = { requests: 0, notFound: 0, tooLarge: 0, errors: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counters.requests++;
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const declared = Number(req.headers['content-length'] ?? 0);
    const bodyLimit = options.bodyLimits?.[path] ?? limits.maxBodyBytes;
    if (!Number.isFinite(declared) || declared > bodyLimit || (req.headers['transfer-encoding'] !== undefined && req.method !== 'GET')) {
      // Chunked bodies have no declared size; the name server's clients always send a length.
      counters.tooLarge++;
      discardBody(req);
      res.setHeader('Connection', 'close');
      send(res, 413, 'application/json', JSON.stringify({ error: 'request body too large or without Content-Length' }));
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/' || path === '/index.html') {
        const model = options.page(req);
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

  const server = createServer({ maxHeaderSize: limits.maxHeaderBytes, requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.requestTimeoutMs }, (req, res) => {
    if (options.takeover?.match(req) === true) {
      options.takeover.handle(req, res);
      return;
    }
    handle(req, res).catch((err: unknown) => {
      counters.errors++;
      options.onError?.(err);
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
      else res.destroy();
    });
  });
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return { server, counters };
}
