/**
 * The subset of the ntfy HTTP API that the ntfy Android app needs as a UnifiedPush distributor,
 * for a LAN with no Internet: publish to a topic, hold one JSON stream per phone over several
 * topics with keepalives, replay what a phone missed from a short cache, poll.
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TextDecoder } from 'node:util';
import { MessageCache, type Message } from './cache.js';
import { PUSH_DEFAULTS, type PushServiceComponents, type PushServiceOptions } from './options.js';

export interface PushServiceStatus {
  listening: boolean;
  port: number | null;
  topics: number;
  cachedMessages: number;
  cachedBytes: number;
  subscribers: number;
  connections: number;
  published: number;
  /** Message lines written to streams (live and replayed). */
  delivered: number;
  replayed: number;
  polls: number;
  keepalives: number;
  refused: { topics: number; tooLarge: number; subscribers: number; connections: number; badRequests: number };
  /** Cached messages dropped before their time to honour a bound. */
  evicted: number;
}

export interface PushService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Keepalives to quiet streams, expiry of old messages. */
  tick(): void;
  status(): PushServiceStatus;
  port(): number | null;
  readonly server: Server;
}

interface Subscriber {
  res: ServerResponse;
  topics: string[];
  address: string;
  lastWrite: number;
}

export const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;
const ID_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const utf8 = new TextDecoder('utf-8', { fatal: true });

const clientOf = (socket: Socket): string => (socket.remoteAddress ?? '?').replace(/^::ffff:/, '');

export function createPushService(options: PushServiceOptions = {}, components: PushServiceComponents = {}): PushService {
  const o = { ...PUSH_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof PUSH_DEFAULTS;
  const now = () => (components.clock ?? Date).now();
  const cache = new MessageCache(o, now);
  const byTopic = new Map<string, Set<Subscriber>>();
  const subscribers = new Set<Subscriber>();
  const perAddress = new Map<string, { connections: number; subscribers: number }>();
  let connections = 0;
  let listening = false;
  let timer: NodeJS.Timeout | null = null;
  const c = {
    published: 0,
    delivered: 0,
    replayed: 0,
    polls: 0,
    keepalives: 0,
    refused: { topics: 0, tooLarge: 0, subscribers: 0, connections: 0, badRequests: 0 },
  };

  const slot = (a: string) => {
    let s = perAddress.get(a);
    if (s === undefined) {
      s = { connections: 0, subscribers: 0 };
      perAddress.set(a, s);
    }
    return s;
  };
  const release = (a: string) => {
    const s = perAddress.get(a);
    if (s && s.connections === 0 && s.subscribers === 0) perAddress.delete(a);
  };

  const newId = () => Array.from({ length: 12 }, () => ID_CHARS[randomInt(ID_CHARS.length)]).join('');
  const line = (m: Omit<Message, 'bytes'> | { id: string; time: number; event: string; topic: string }) => {
    const { bytes: _bytes, ...wire } = m as Message;
    return `${JSON.stringify(wire)}\n`;
  };

  const send = (s: Subscriber, text: string) => {
    if (s.res.destroyed) return;
    s.res.write(text);
    s.lastWrite = now();
    // A phone that stopped reading: drop it; it reconnects and replays from the cache.
    if (s.res.writableLength > 256 * 1024) s.res.destroy();
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Access-Control-Allow-Origin': '*' });
    res.end(text);
  };

  const readBody = (req: IncomingMessage): Promise<Buffer | null> =>
    new Promise((resolve) => {
      if (Number(req.headers['content-length'] ?? 0) > o.maxMessageBytes) return resolve(null);
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (d: Buffer) => {
        size += d.length;
        if (size > o.maxMessageBytes) {
          req.removeAllListeners('data');
          resolve(null);
        } else chunks.push(d);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', () => resolve(null));
      req.on('close', () => resolve(null));
    });

  const publish = async (req: IncomingMessage, res: ServerResponse, topic: string) => {
    const body = await readBody(req);
    if (body === null) {
      c.refused.tooLarge++;
      res.shouldKeepAlive = false;
      return json(res, 413, { code: 41301, http: 413, error: 'message too large' });
    }
    const t = now();
    const m: Message = {
      id: newId(),
      time: Math.floor(t / 1000),
      expires: Math.floor((t + o.cacheDurationMs) / 1000),
      event: 'message',
      topic,
      message: '',
      bytes: 0,
    };
    // UnifiedPush bodies (encrypted Web Push) are binary: kept byte-exact, as base64.
    let text: string | null = null;
    try {
      text = utf8.decode(body);
    } catch {
      text = null;
    }
    if (text === null) {
      m.message = body.toString('base64');
      m.encoding = 'base64';
    } else m.message = body.length === 0 ? 'triggered' : text;
    m.bytes = m.message.length + 96;
    if (!cache.store(m)) {
      c.refused.topics++;
      return json(res, 507, { code: 50701, http: 507, error: 'too many topics' });
    }
    c.published++;
    const wire = line(m);
    for (const s of byTopic.get(topic) ?? []) {
      send(s, wire);
      c.delivered++;
    }
    json(res, 200, JSON.parse(wire) as unknown);
  };

  const subscribe = (req: IncomingMessage, res: ServerResponse, topics: string[], query: URLSearchParams) => {
    const address = clientOf(req.socket);
    const poll = query.get('poll') === '1' || query.get('poll') === 'true';
    const headers = { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' };
    if (poll) {
      c.polls++;
      const list = cache.replay(topics, query.get('since'), 'all');
      res.writeHead(200, headers);
      for (const m of list) res.write(line(m));
      c.replayed += list.length;
      res.end();
      return;
    }
    const s = slot(address);
    if (subscribers.size >= o.maxSubscribers || s.subscribers >= o.maxSubscribersPerAddress) {
      c.refused.subscribers++;
      return json(res, 429, { code: 42901, http: 429, error: 'too many subscriptions' });
    }
    s.subscribers++;
    req.socket.setKeepAlive(true, 30_000);
    req.socket.setTimeout(0);
    res.writeHead(200, headers);
    const sub: Subscriber = { res, topics, address, lastWrite: now() };
    subscribers.add(sub);
    for (const t of topics) {
      let set = byTopic.get(t);
      if (set === undefined) byTopic.set(t, (set = new Set()));
      set.add(sub);
    }
    const topicList = topics.join(',');
    send(sub, line({ id: newId(), time: Math.floor(now() / 1000), event: 'open', topic: topicList }));
    for (const m of cache.replay(topics, query.get('since'), 'none')) {
      send(sub, line(m));
      c.replayed++;
      c.delivered++;
    }
    res.once('close', () => {
      subscribers.delete(sub);
      for (const t of topics) {
        const set = byTopic.get(t);
        set?.delete(sub);
        if (set?.size === 0) byTopic.delete(t);
      }
      s.subscribers--;
      release(address);
    });
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://push.invalid');
    const seg = url.pathname.split('/').slice(1);
    const method = req.method ?? '';
    if (url.pathname === '/v1/health' && method === 'GET') return json(res, 200, { healthy: true });
    if (seg.length === 1 && TOPIC.test(seg[0]!)) {
      if (method === 'POST' || method === 'PUT') return publish(req, res, seg[0]!);
      // UnifiedPush endpoint discovery.
      if (method === 'GET' && url.searchParams.get('up') === '1') return json(res, 200, { unifiedpush: { version: 1 } });
    }
    if (seg.length === 2 && seg[1] === 'json' && method === 'GET') {
      const topics = seg[0]!.split(',');
      if (topics.length <= o.maxTopicsPerSubscription && topics.every((t) => TOPIC.test(t))) return subscribe(req, res, topics, url.searchParams);
    }
    c.refused.badRequests++;
    json(res, 404, { code: 40401, http: 404, error: 'page not found' });
  };

  const server = createServer({
    maxHeaderSize: 8192,
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    // Node checks the two timeouts above only this often (30 s by default).
    connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(o.headersTimeoutMs / 2))),
  });
  server.maxHeadersCount = 64;
  server.timeout = 0;
  server.on('connection', (socket: Socket) => {
    const address = clientOf(socket);
    const s = slot(address);
    if (s.connections >= o.maxConnectionsPerAddress) {
      c.refused.connections++;
      release(address);
      socket.destroy();
      return;
    }
    s.connections++;
    connections++;
    socket.setNoDelay(true);
    socket.once('close', () => {
      s.connections--;
      connections--;
      release(address);
    });
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      components.logger?.error({ err }, 'push: request failed');
      if (!res.headersSent) json(res, 500, { code: 50001, http: 500, error: 'internal error' });
      else res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    c.refused.badRequests++;
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });

  const tick = () => {
    const t = now();
    for (const s of subscribers) {
      if (t - s.lastWrite >= o.keepaliveMs) {
        send(s, line({ id: newId(), time: Math.floor(t / 1000), event: 'keepalive', topic: s.topics.join(',') }));
        c.keepalives++;
      }
    }
    cache.expire(Math.floor(t / 1000));
  };

  return {
    server,
    port: () => (listening ? (server.address() as AddressInfo).port : null),
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: o.port, ...(o.host !== undefined ? { host: o.host } : {}) }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
      if (o.tickIntervalMs > 0) {
        timer = setInterval(tick, o.tickIntervalMs);
        timer.unref();
      }
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    tick,
    status: () => ({
      listening,
      port: listening ? (server.address() as AddressInfo).port : null,
      topics: cache.topics,
      cachedMessages: cache.cachedMessages,
      cachedBytes: cache.cachedBytes,
      subscribers: subscribers.size,
      connections,
      published: c.published,
      delivered: c.delivered,
      replayed: c.replayed,
      polls: c.polls,
      keepalives: c.keepalives,
      refused: { ...c.refused },
      evicted: cache.evicted,
    }),
  };
}
