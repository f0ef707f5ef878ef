/**
 * The subset of the ntfy HTTP API that the ntfy Android app needs as a UnifiedPush distributor,
 * for a LAN with no Internet: publish to a topic, hold one JSON stream per phone over several
 * topics with keepalives, replay what a phone missed from a short cache, poll.
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TextDecoder } from 'node:util';

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
  clock?: { now(): number };
  logger?: { debug(o: object, m?: string): void; info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
}

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

interface Message {
  id: string;
  time: number;
  expires: number;
  event: 'message';
  topic: string;
  message: string;
  encoding?: 'base64';
  bytes: number;
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

const clientOf = (socket: Socket): string => (socket.remoteAddress ?? '?').replace(/^::ffff:/, '');

export function createPushService(options: PushServiceOptions = {}, components: PushServiceComponents = {}): PushService {
  const o = { ...PUSH_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof PUSH_DEFAULTS;
  const now = () => (components.clock ?? Date).now();
  const cache = new Map<string, Message[]>();
  const byTopic = new Map<string, Set<Subscriber>>();
  const subscribers = new Set<Subscriber>();
  const perAddress = new Map<string, { connections: number; subscribers: number }>();
  let cachedBytes = 0;
  let cachedMessages = 0;
  let connections = 0;
  let listening = false;
  let timer: NodeJS.Timeout | null = null;
  const c = {
    published: 0,
    delivered: 0,
    replayed: 0,
    polls: 0,
    keepalives: 0,
    evicted: 0,
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

  const dropOldest = (topic: string) => {
    const list = cache.get(topic);
    const m = list?.shift();
    if (m === undefined) return;
    cachedBytes -= m.bytes;
    cachedMessages--;
    if (list!.length === 0) cache.delete(topic);
  };

  const store = (m: Message): boolean => {
    let list = cache.get(m.topic);
    if (list === undefined) {
      if (cache.size >= o.maxTopics) return false;
      list = [];
      cache.set(m.topic, list);
    }
    list.push(m);
    cachedBytes += m.bytes;
    cachedMessages++;
    if (list.length > o.maxMessagesPerTopic) {
      c.evicted++;
      dropOldest(m.topic);
    }
    // Over the byte budget: drop from the topic holding the oldest message first.
    while (cachedBytes > o.maxCachedBytes && cachedMessages > 0) {
      let oldest: string | null = null;
      let oldestTime = Infinity;
      for (const [t, l] of cache) if (l[0]!.time < oldestTime) [oldest, oldestTime] = [t, l[0]!.time];
      c.evicted++;
      dropOldest(oldest!);
    }
    return true;
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
    const m: Message = { id: newId(), time: Math.floor(t / 1000), expires: Math.floor((t + o.cacheDurationMs) / 1000), event: 'message', topic, message: '', bytes: 0 };
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
    if (!store(m)) {
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

  /** Cached messages of `topics` after `since` (ntfy: `all`, `none`, a message id, unix seconds, or `10m`/`2h`/`1d`). */
  const replay = (topics: string[], since: string | null, fallback: 'all' | 'none'): Message[] => {
    const spec = since ?? fallback;
    if (spec === 'none') return [];
    let list = topics.flatMap((t) => cache.get(t) ?? []);
    const t = now();
    const dur = /^(\d+)(s|m|h|d)$/.exec(spec);
    if (spec === 'all') {
      // everything cached
    } else if (/^\d+$/.test(spec)) list = list.filter((m) => m.time >= Number(spec));
    else if (dur !== null) {
      const ms = Number(dur[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[dur[2] as 's']!;
      list = list.filter((m) => m.time * 1000 >= t - ms);
    } else {
      // A message id: what came after it. An unknown id (cache expired, other server) gets all:
      // the app drops duplicates by id, a lost wake-up is worse.
      const idx = list.findIndex((m) => m.id === spec);
      if (idx >= 0) {
        const after = list[idx]!;
        list = list.filter((m) => m.time > after.time || (m.time === after.time && list.indexOf(m) > idx));
      }
    }
    return list.sort((a, b) => a.time - b.time);
  };

  const subscribe = (req: IncomingMessage, res: ServerResponse, topics: string[], query: URLSearchParams) => {
    const address = clientOf(req.socket);
    const poll = query.get('poll') === '1' || query.get('poll') === 'true';
    const headers = { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' };
    if (poll) {
      c.polls++;
      const list = replay(topics, query.get('since'), 'all');
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
    for (const m of replay(topics, query.get('since'), 'none')) {
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
    const cutoff = Math.floor(t / 1000);
    for (const [topic, list] of [...cache]) {
      while (list.length > 0 && list[0]!.expires <= cutoff) dropOldest(topic);
    }
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
      topics: cache.size,
      cachedMessages,
      cachedBytes,
      subscribers: subscribers.size,
      connections,
      published: c.published,
      delivered: c.delivered,
      replayed: c.replayed,
      polls: c.polls,
      keepalives: c.keepalives,
      refused: { ...c.refused },
      evicted: c.evicted,
    }),
  };
}
