/**
 * The OpenDHT proxy server: the REST routes OpenDHT 2.4 and 4.x proxy clients (Jami on phones)
 * use, served as a client of the box's own DHT node. Listen streams and push subscriptions on
 * one key share one DHT listen. Push goes to UnifiedPush endpoints (RFC 8291 encrypted when the
 * subscription carries keys) and to a gorush gateway, and only to allowed targets.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { makeValue, toHex, type Value } from '@lanbox/dht';
import { Float, parseJson, writeJson, type JsonOut } from './codec/json.js';
import { keyFromParam } from './codec/key.js';
import {
  gorushBody,
  parseSubscribeBody,
  timeoutNotification,
  valueNotification,
  type Platform,
  type SubscribeBody,
} from './codec/push.js';
import { valueFromJson, valueLine, type PutPush } from './codec/value-json.js';
import { DEFAULTS, type ProxyComponents, type ProxyOptions, type ResolvedOptions } from './options.js';
import { encryptWebPush, parseWebPushTopic } from './push/ece.js';
import { createHttpPushTransport, type PushTransport } from './push/sender.js';
import { loadState, putRecord, subscriptionRecord, type StoredPut, type StoredSubscription } from './store.js';

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
  requests: { total: number; get: number; put: number; listen: number; subscribe: number; unsubscribe: number; info: number; other: number; notImplemented: number };
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

interface Stream {
  res: ServerResponse;
  address: string;
}

interface Subscription {
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

interface PermanentPut {
  keyHex: string;
  key: Uint8Array;
  value: Value;
  address: string;
  push?: PutPush;
  expiresAt: number;
  pushAt: number;
  refreshPushed: boolean;
}

interface Watch {
  key: Uint8Array;
  keyHex: string;
  cancel: () => void;
  values: Map<bigint, Value>;
  streams: Set<Stream>;
  subs: Set<Subscription>;
}

const CORS = { 'Access-Control-Allow-Origin': '*' };
const COMMON = { Server: 'lanbox-proxy', 'Content-Type': 'application/json', ...CORS };
const OPTIONS_HEADERS = {
  ...COMMON,
  'Access-Control-Allow-Methods': 'OPTIONS, GET, POST, LISTEN',
  'Access-Control-Allow-Headers': 'content-type',
  'Access-Control-Max-Age': '86400',
};

/** `::ffff:a.b.c.d` and `a.b.c.d` are one client. */
const clientOf = (socket: Socket): string => (socket.remoteAddress ?? '?').replace(/^::ffff:/, '');

export function createDhtProxy(options: ProxyOptions, components: ProxyComponents): DhtProxy {
  const o: ResolvedOptions = { ...DEFAULTS, ...stripUndefined(options) };
  const { dht, db, logger } = components;
  const now = () => (components.clock ?? Date).now();
  const rng = components.rng ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const transport: PushTransport = components.pushTransport ?? createHttpPushTransport();

  const watches = new Map<string, Watch>();
  const subscriptions = new Map<string, Subscription>();
  const puts = new Map<string, Map<bigint, PermanentPut>>();
  const perAddress = new Map<string, { connections: number; listens: number; subs: number; puts: number }>();
  let listenCount = 0;
  let putCount = 0;
  let connectionCount = 0;
  let listening = false;
  const pendingWrites = new Set<Promise<unknown>>();

  const counters = {
    requests: { total: 0, get: 0, put: 0, listen: 0, subscribe: 0, unsubscribe: 0, info: 0, other: 0, notImplemented: 0 },
    pushes: { sent: 0, failed: 0, refused: 0, undeliverable: 0, dropped: 0, encrypted: 0, inFlight: 0, queued: 0 },
    refused: { connections: 0, listens: 0, subscriptions: 0, permanentPuts: 0, bodyTooLarge: 0, badRequests: 0 },
    slowStreamsDropped: 0,
    dht: { gets: 0, puts: 0, putsRefused: 0, lastOkMs: null as number | null },
    persist: { writes: 0, errors: 0, restoredSubscriptions: 0, restoredPuts: 0 },
    internalErrors: 0,
  };

  const slot = (address: string) => {
    let s = perAddress.get(address);
    if (s === undefined) {
      s = { connections: 0, listens: 0, subs: 0, puts: 0 };
      perAddress.set(address, s);
    }
    return s;
  };
  const release = (address: string) => {
    const s = perAddress.get(address);
    if (s && s.connections === 0 && s.listens === 0 && s.subs === 0 && s.puts === 0) perAddress.delete(address);
  };

  // ------------------------------------------------------------------------------------------
  // persistence

  /** Resolves false when the write failed (counted and logged); true without a db. */
  const persist = (op: () => Promise<void>): Promise<boolean> => {
    if (db === undefined) return Promise.resolve(true);
    counters.persist.writes++;
    const p = op()
      .then(() => true)
      .catch((err: unknown) => {
        counters.persist.errors++;
        logger?.warn({ err }, 'proxy: persisting failed');
        return false;
      })
      .finally(() => pendingWrites.delete(p));
    pendingWrites.add(p);
    return p;
  };
  const saveSub = (s: Subscription) => {
    const rec: StoredSubscription = {
      token: s.token, key: s.keyHex, clientId: s.clientId, sessionId: s.sessionId, platform: s.platform,
      topic: s.topic, address: s.address, expiresAt: s.expiresAt, pushAt: s.pushAt, refreshPushed: s.refreshPushed,
    };
    return persist(() => db!.put(...subscriptionRecord(rec)));
  };
  const dropSub = (s: Subscription) => persist(() => db!.del(subscriptionRecord({ token: s.token, key: s.keyHex, clientId: s.clientId } as StoredSubscription)[0]));
  const savePut = (p: PermanentPut) => {
    const rec: StoredPut = {
      key: p.keyHex, packed: Buffer.from(p.value.packed).toString('base64'), id: p.value.id.toString(), address: p.address,
      expiresAt: p.expiresAt, pushAt: p.pushAt, refreshPushed: p.refreshPushed, ...(p.push ? { push: p.push } : {}),
    };
    return persist(() => db!.put(...putRecord(rec)));
  };
  const dropPut = (p: PermanentPut) => persist(() => db!.del(putRecord({ key: p.keyHex, id: p.value.id.toString() } as StoredPut)[0]));

  // ------------------------------------------------------------------------------------------
  // push

  const allowed = (token: string): boolean => {
    let url: URL;
    try {
      url = new URL(token);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return o.allowedPushOrigins.includes(url.origin) || components.allowPushTarget?.(url) === true;
  };
  /** Why a subscription cannot be served, or null. */
  const refusal = (platform: Platform, token: string): string | null => {
    if (platform === 'unifiedpush' && !allowed(token)) return 'push endpoint not allowed on this box (no open relay); point the ntfy app at the box or add the endpoint to the push allow-list';
    return null;
  };

  // Pushes wait in a bounded queue and go out `maxPushesInFlight` at a time: a value on a key
  // that hundreds of phones follow must reach all of them, not only the first few.
  const queue: Array<{ url: string; headers: Record<string, string>; body: Uint8Array }> = [];
  const pump = () => {
    while (counters.pushes.inFlight < o.maxPushesInFlight && queue.length > 0) {
      const req = queue.shift()!;
      counters.pushes.inFlight++;
      void transport(req)
        .catch(() => 0)
        .then((status) => {
          counters.pushes.inFlight--;
          if (status >= 200 && status < 300) counters.pushes.sent++;
          else {
            counters.pushes.failed++;
            logger?.debug({ url: req.url.slice(0, 200), status }, 'proxy: push not accepted');
          }
          pump();
        });
    }
    counters.pushes.queued = queue.length;
  };
  const send = (url: string, headers: Record<string, string>, body: Uint8Array) => {
    if (queue.length >= o.maxPushQueue) {
      counters.pushes.dropped++;
      return;
    }
    queue.push({ url, headers, body });
    pump();
  };

  const deliver = (platform: Platform, token: string, topic: string, data: Record<string, JsonOut>, high: boolean) => {
    const json = writeJson(data);
    if (platform === 'unifiedpush') {
      if (!allowed(token)) {
        counters.pushes.refused++;
        return;
      }
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        TTL: '86400',
        Urgency: high ? 'high' : 'normal',
        'User-Agent': 'lanbox-proxy',
      };
      const keys = parseWebPushTopic(topic);
      let body: Uint8Array = Buffer.from(json);
      if (keys !== null) {
        try {
          body = encryptWebPush(body, keys, rng(16));
          headers['Content-Encoding'] = 'aes128gcm';
          headers['Content-Type'] = 'application/octet-stream';
          counters.pushes.encrypted++;
        } catch {
          // Not a point on P-256: the connector falls back to plaintext, so send that.
        }
      }
      send(token, headers, body);
    } else if (platform === 'android' || platform === 'ios') {
      if (o.pushGateway === null) {
        counters.pushes.undeliverable++;
        return;
      }
      const gw = new URL(o.pushGateway);
      if (gw.pathname === '/' || gw.pathname === '') gw.pathname = '/api/push';
      const body = gorushBody(platform, token, topic !== '' ? topic : o.iosBundleId, data, high, now());
      send(gw.toString(), { 'Content-Type': 'application/json', Accept: '*/*', 'User-Agent': 'lanbox-proxy' }, Buffer.from(writeJson(body)));
    }
  };

  const pushValues = (sub: Subscription, values: Value[], expired: boolean) => {
    if (sub.platform === 'none') return;
    const ids = values.map((v) => v.id);
    const high = !expired && values.some((v) => !v.priority);
    deliver(sub.platform, sub.token, sub.topic, valueNotification(sub.keyHex, sub.clientId, sub.sessionId, now(), ids, values.map((v) => v.pushType ?? ''), expired), high);
  };

  // ------------------------------------------------------------------------------------------
  // one DHT listen per key, shared by streams and subscriptions

  const onDht = (w: Watch, values: Value[], expired: boolean) => {
    counters.dht.lastOkMs = now();
    for (const v of values) {
      if (expired) w.values.delete(v.id);
      else w.values.set(v.id, v);
    }
    const text = values.map((v) => valueLine(v, expired));
    for (const s of w.streams) for (const line of text) writeStream(s, line);
    for (const sub of w.subs) pushValues(sub, values, expired);
  };

  const watch = (key: Uint8Array, keyHex: string): Watch => {
    let w = watches.get(keyHex);
    if (w !== undefined) return w;
    const created: Watch = { key, keyHex, cancel: () => {}, values: new Map(), streams: new Set(), subs: new Set() };
    w = created;
    watches.set(keyHex, created);
    // The node calls back at once with what it holds; the watch is registered before that.
    created.cancel = dht.listen(key, (values, expired) => onDht(created, values, expired));
    return created;
  };
  const unwatchIfIdle = (w: Watch) => {
    if (w.streams.size > 0 || w.subs.size > 0) return;
    w.cancel();
    watches.delete(w.keyHex);
  };

  const writeStream = (s: Stream, line: string) => {
    if (s.res.destroyed) return;
    s.res.write(line);
    if (s.res.writableLength > o.maxBufferedBytesPerStream) {
      counters.slowStreamsDropped++;
      s.res.destroy();
    }
  };

  // ------------------------------------------------------------------------------------------
  // subscriptions and permanent puts

  const addSubscription = (b: SubscribeBody, keyHex: string, key: Uint8Array, address: string, restored?: StoredSubscription): Subscription => {
    const t = now();
    const sub: Subscription = {
      id: `${b.token}\0${keyHex}\0${b.clientId}`,
      token: b.token,
      keyHex,
      clientId: b.clientId,
      sessionId: b.sessionId,
      platform: b.platform,
      topic: b.topic,
      address,
      expiresAt: restored?.expiresAt ?? t + o.operationLifetimeMs,
      pushAt: restored?.pushAt ?? t + o.operationLifetimeMs - o.refreshMarginMs,
      refreshPushed: restored?.refreshPushed ?? false,
    };
    subscriptions.set(sub.id, sub);
    slot(address).subs++;
    const w = watch(key, keyHex);
    w.subs.add(sub);
    // A new subscription is told about what the key already holds, as OpenDHT's listen does;
    // a restored one is not (a restart must not wake every phone).
    if (restored === undefined && w.values.size > 0) pushValues(sub, [...w.values.values()], false);
    return sub;
  };
  const removeSubscription = (sub: Subscription) => {
    subscriptions.delete(sub.id);
    const s = slot(sub.address);
    s.subs--;
    release(sub.address);
    const w = watches.get(sub.keyHex);
    if (w !== undefined) {
      w.subs.delete(sub);
      unwatchIfIdle(w);
    }
  };

  const putsAt = (keyHex: string) => {
    let m = puts.get(keyHex);
    if (m === undefined) {
      m = new Map();
      puts.set(keyHex, m);
    }
    return m;
  };
  const removePut = (p: PermanentPut) => {
    const m = puts.get(p.keyHex);
    if (m?.delete(p.value.id) !== true) return;
    if (m.size === 0) puts.delete(p.keyHex);
    putCount--;
    slot(p.address).puts--;
    release(p.address);
    dht.cancelPut(p.key, p.value.id);
  };

  // ------------------------------------------------------------------------------------------
  // HTTP

  const json = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { ...COMMON, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const notImplemented = (res: ServerResponse) => {
    counters.requests.notImplemented++;
    res.writeHead(501, { Connection: 'close', 'Content-Length': '0' });
    res.end();
  };
  const startChunked = (res: ServerResponse) => {
    res.writeHead(200, COMMON);
    res.flushHeaders();
  };

  const readBody = (req: IncomingMessage): Promise<string | null> =>
    new Promise((resolve) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > o.maxBodyBytes) {
        resolve(null);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxBodyBytes) {
          req.removeAllListeners('data');
          resolve(null);
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(null));
      req.on('close', () => resolve(null));
    });

  const tooLarge = (res: ServerResponse) => {
    counters.refused.bodyTooLarge++;
    res.writeHead(413, { ...COMMON, Connection: 'close', 'Content-Length': 24 });
    res.end('{"err":"Body too large"}');
  };

  const nodeInfo = (publicIp: string | null): Record<string, JsonOut> => {
    const st = dht.status();
    // The box's own node is a good node for its clients even when it knows no other: an
    // OpenDHT client reads "no good node" as disconnected and stops using the proxy.
    const fam = (f: 4 | 6) => ({ dubious: st.nodes[f].dubious, good: st.nodes[f].good + (st.ports[f] !== null ? 1 : 0), incoming: 0 });
    const info: Record<string, JsonOut> = {
      ipv4: fam(4),
      ipv6: fam(6),
      node_id: st.id,
      ops: st.searches + st.listens,
      storage_values: st.storage.values,
      storage_size: st.storage.bytes,
      port_ipv4: st.ports[4] ?? 0,
      port_ipv6: st.ports[6] ?? 0,
    };
    if (publicIp !== null) info.public_ip = publicIp;
    return info;
  };

  const handleGet = async (res: ServerResponse, key: Uint8Array) => {
    counters.requests.get++;
    startChunked(res);
    const values = await dht.get(key, { timeoutMs: o.getTimeoutMs });
    counters.dht.gets++;
    counters.dht.lastOkMs = now();
    if (values.length > 0) res.write(values.map((v) => valueLine(v)).join(''));
    res.end();
  };

  const handlePut = async (req: IncomingMessage, res: ServerResponse, key: Uint8Array, keyHex: string, address: string) => {
    counters.requests.put++;
    const body = await readBody(req);
    if (body === null) return tooLarge(res);
    if (body.length === 0) return json(res, 400, '{"err":"Missing parameters"}');
    const parsed = parseJson(body);
    const put = parsed.ok ? valueFromJson(parsed.value) : null;
    if (put === null || !put.ok) {
      counters.refused.badRequests++;
      return json(res, 400, '{"err:":"Incorrect JSON"}');
    }
    const { permanent } = put.value;
    let value = put.value.value;
    const t = now();
    if (permanent !== undefined) {
      const existing = puts.get(keyHex);
      // A permanent put sent again without its id (the client's periodic refresh) is the same put:
      // renew it and answer with the stored value, without a new DHT put.
      if (value.id === 0n && existing !== undefined) {
        for (const p of existing.values()) {
          if ((p.push?.token ?? '') !== (permanent.push?.token ?? '') || (p.push?.clientId ?? '') !== (permanent.push?.clientId ?? '')) continue;
          const same = makeValue({ ...value, id: p.value.id }).packed;
          if (Buffer.compare(Buffer.from(same), Buffer.from(p.value.packed)) !== 0) continue;
          p.expiresAt = t + o.operationLifetimeMs;
          p.pushAt = p.expiresAt - o.refreshMarginMs;
          p.refreshPushed = false;
          if (p.push && permanent.push?.sessionId) p.push.sessionId = permanent.push.sessionId;
          await savePut(p);
          return json(res, 200, valueLine(p.value));
        }
      }
    }
    if (value.id === 0n) value = { ...value, id: randomId() };
    const full = makeValue(value);
    let record: PermanentPut | undefined;
    if (permanent !== undefined) {
      const m = putsAt(keyHex);
      record = m.get(full.id);
      const created = record === undefined;
      if (record === undefined) {
        const s = slot(address);
        if (putCount >= o.maxPermanentPuts || s.puts >= o.maxPermanentPutsPerAddress) {
          counters.refused.permanentPuts++;
          if (m.size === 0) puts.delete(keyHex);
          return json(res, 503, '{"err":"Too many permanent puts"}');
        }
        if (permanent.push !== undefined && refusal(platformOf(permanent.push.platform), permanent.push.token) !== null) {
          counters.pushes.refused++;
          if (m.size === 0) puts.delete(keyHex);
          return json(res, 403, writeJson({ err: 'Push endpoint not allowed' }));
        }
        record = { keyHex, key, value: full, address, expiresAt: 0, pushAt: 0, refreshPushed: false };
        m.set(full.id, record);
        putCount++;
        s.puts++;
      }
      record.value = full;
      record.expiresAt = t + o.operationLifetimeMs;
      record.pushAt = record.expiresAt - o.refreshMarginMs;
      record.refreshPushed = false;
      if (permanent.push !== undefined) record.push = { ...permanent.push };
      if (!(await savePut(record)) && created) {
        removePut(record);
        return json(res, 503, '{"err":"Cannot store the permanent put"}');
      }
    }
    const result = await dht.put(key, full, { permanent: permanent !== undefined });
    counters.dht.puts++;
    if (!result.stored && result.acks === 0) {
      counters.dht.putsRefused++;
      if (record !== undefined) {
        removePut(record);
        dropPut(record);
      }
      return json(res, 502, '{"err":"Put failed"}');
    }
    counters.dht.lastOkMs = now();
    json(res, 200, valueLine(full));
  };

  const randomId = (): bigint => {
    for (;;) {
      const id = Buffer.from(rng(8)).readBigUInt64BE();
      if (id !== 0n) return id;
    }
  };

  const handleListen = (req: IncomingMessage, res: ServerResponse, key: Uint8Array, keyHex: string, address: string) => {
    counters.requests.listen++;
    const s = slot(address);
    if (listenCount >= o.maxListens || s.listens >= o.maxListensPerAddress) {
      counters.refused.listens++;
      return json(res, 503, '{"err":"Too many listeners"}');
    }
    listenCount++;
    s.listens++;
    const socket = req.socket;
    socket.setKeepAlive(true, o.listenKeepAliveMs);
    socket.setTimeout(0);
    startChunked(res);
    const stream: Stream = { res, address };
    const w = watch(key, keyHex);
    w.streams.add(stream);
    for (const v of w.values.values()) writeStream(stream, valueLine(v));
    // A client that goes away frees its stream, its slot and (if last) the DHT listen at once.
    res.once('close', () => {
      listenCount--;
      s.listens--;
      release(address);
      w.streams.delete(stream);
      unwatchIfIdle(w);
    });
  };

  const handleSubscribe = async (req: IncomingMessage, res: ServerResponse, key: Uint8Array, keyHex: string, address: string) => {
    counters.requests.subscribe++;
    const body = await readBody(req);
    if (body === null) return tooLarge(res);
    const parsed = parseSubscribeBody(body);
    if (!parsed.ok) {
      counters.refused.badRequests++;
      return parsed.error === 'no-token' ? json(res, 400, '{"err":"No token"}') : json(res, 400, '{"err:":"Incorrect JSON"}');
    }
    const b = parsed.value;
    const why = refusal(b.platform, b.token);
    if (why !== null) {
      counters.pushes.refused++;
      counters.refused.subscriptions++;
      logger?.info({ client: address, endpoint: b.token.slice(0, 200) }, 'proxy: push subscription refused (endpoint not allowed)');
      return json(res, 403, writeJson({ err: why }));
    }
    const id = `${b.token}\0${keyHex}\0${b.clientId}`;
    const existing = subscriptions.get(id);
    if (existing === undefined) {
      if (subscriptions.size >= o.maxSubscriptions || slot(address).subs >= o.maxSubscriptionsPerAddress) {
        counters.refused.subscriptions++;
        return json(res, 503, '{"err":"Too many subscriptions"}');
      }
      const sub = addSubscription(b, keyHex, key, address);
      // Acknowledged only once stored: a phone told "subscribed" stays reachable after a power cut.
      if (!(await saveSub(sub))) {
        removeSubscription(sub);
        return json(res, 503, '{"err":"Cannot store the subscription"}');
      }
      return json(res, 200, '{}\n');
    }
    const t = now();
    existing.sessionId = b.sessionId;
    existing.platform = b.platform;
    existing.topic = b.topic;
    existing.expiresAt = t + o.operationLifetimeMs;
    existing.pushAt = existing.expiresAt - o.refreshMarginMs;
    existing.refreshPushed = false;
    await saveSub(existing);
    startChunked(res);
    if (b.refresh) {
      res.end('{}\n');
      return;
    }
    const values = await dht.get(key, { timeoutMs: o.getTimeoutMs });
    counters.dht.lastOkMs = now();
    for (const v of values) res.write(valueLine(v));
    res.end();
  };

  const handleUnsubscribe = async (req: IncomingMessage, res: ServerResponse, keyHex: string) => {
    counters.requests.unsubscribe++;
    const body = await readBody(req);
    if (body === null) return tooLarge(res);
    const parsed = parseSubscribeBody(body);
    if (!parsed.ok) {
      counters.refused.badRequests++;
      return parsed.error === 'no-token' ? notImplemented(res) : json(res, 400, '{"err:":"Incorrect JSON"}');
    }
    const sub = subscriptions.get(`${parsed.value.token}\0${keyHex}\0${parsed.value.clientId}`);
    if (sub !== undefined) {
      removeSubscription(sub);
      dropSub(sub);
    }
    res.writeHead(200, { ...COMMON, 'Content-Length': '0' });
    res.end();
  };

  const handlePingPush = async (req: IncomingMessage, res: ServerResponse) => {
    counters.requests.other++;
    const body = await readBody(req);
    if (body === null) return tooLarge(res);
    const parsed = parseSubscribeBody(body);
    if (!parsed.ok) return parsed.error === 'no-token' ? json(res, 400, '{"err":"No token"}') : json(res, 400, '{"err:":"Incorrect JSON"}');
    const b = parsed.value;
    if (refusal(b.platform, b.token) !== null) {
      counters.pushes.refused++;
      return json(res, 403, writeJson({ err: 'Push endpoint not allowed' }));
    }
    deliver(b.platform, b.token, b.topic, { to: b.clientId, pong: true }, true);
    json(res, 200, '{}\n');
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    counters.requests.total++;
    const address = clientOf(req.socket);
    const target = req.url ?? '/';
    let path = target.split('?', 1)[0]!;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const seg = path.split('/').slice(1);
    const method = req.method ?? '';
    if (path === '/') {
      if (method !== 'GET') return notImplemented(res);
      counters.requests.info++;
      return json(res, 200, `${writeJson(nodeInfo(req.socket.remoteAddress ?? null))}\n`);
    }
    if (seg[0] === 'node' && seg.length === 2) {
      if (seg[1] === 'info' && method === 'GET') {
        counters.requests.info++;
        return json(res, 200, `${writeJson(nodeInfo(req.socket.remoteAddress ?? null))}\n`);
      }
      if (seg[1] === 'stats' && method === 'GET') {
        counters.requests.info++;
        return json(res, 200, `${writeJson(stats())}\n`);
      }
      if (seg[1] === 'pingPush' && method === 'POST') return handlePingPush(req, res);
      return notImplemented(res);
    }
    let param: string;
    let sub: string | undefined;
    if (seg[0] === 'key' && (seg.length === 2 || seg.length === 3)) {
      param = seg[1]!;
      sub = seg[2];
    } else if (seg.length === 1) {
      param = seg[0]!;
      if (method === 'OPTIONS') return cors(res);
    } else return notImplemented(res);
    if (param === '') return notImplemented(res);
    const key = keyFromParam(param);
    const keyHex = toHex(key);
    if (sub === 'listen') {
      if (method === 'GET') return handleListen(req, res, key, keyHex, address);
      if (method === 'OPTIONS') return cors(res);
      return notImplemented(res);
    }
    if (sub === 'options') return method === 'GET' ? cors(res) : notImplemented(res);
    if (sub !== undefined) return notImplemented(res);
    switch (method) {
      case 'GET':
        return handleGet(res, key);
      case 'POST':
        return handlePut(req, res, key, keyHex, address);
      case 'SUBSCRIBE':
        return handleSubscribe(req, res, key, keyHex, address);
      case 'UNSUBSCRIBE':
        return handleUnsubscribe(req, res, keyHex);
      default:
        return notImplemented(res);
    }
  };

  const cors = (res: ServerResponse) => {
    counters.requests.other++;
    res.writeHead(200, { ...OPTIONS_HEADERS, 'Content-Length': '0' });
    res.end();
  };

  const stats = (): Record<string, JsonOut> => {
    const st = status();
    const by = (p: Platform) => ({ highPriorityCount: 0, normalPriorityCount: 0, subscriptions: st.subscriptions[p as 'android'] ?? 0 });
    const info = nodeInfo(null);
    return {
      listenCount: st.listens,
      nodeInfo: info,
      pushListenersCount: new Set([...subscriptions.values()].map((s) => s.token)).size,
      putCount: puts.size,
      requestRate: new Float(0),
      totalPermanentPuts: putCount,
      androidPush: by('android'),
      iosPush: by('ios'),
      unifiedPush: by('unifiedpush'),
    };
  };

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
  server.on('connection', (socket: Socket) => {
    const address = clientOf(socket);
    const s = slot(address);
    if (connectionCount >= o.maxConnections || s.connections >= o.maxConnectionsPerAddress) {
      counters.refused.connections++;
      release(address);
      socket.destroy();
      return;
    }
    connectionCount++;
    s.connections++;
    socket.setNoDelay(true);
    socket.once('close', () => {
      connectionCount--;
      s.connections--;
      release(address);
    });
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.sendDate = false;
    route(req, res).catch((err: unknown) => {
      counters.internalErrors++;
      logger?.error({ err }, 'proxy: request failed');
      if (!res.headersSent) json(res, 500, '{"err":"Internal server error"}');
      else res.destroy();
    });
  });
  // Malformed request lines, unknown methods (LISTEN, STATS: llhttp refuses them), oversized
  // headers, timeouts: answer 400 where a response can still be written, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    counters.refused.badRequests++;
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });

  const tick = () => {
    const t = now();
    for (const sub of [...subscriptions.values()]) {
      if (t >= sub.expiresAt) {
        removeSubscription(sub);
        dropSub(sub);
      } else if (t >= sub.pushAt && !sub.refreshPushed) {
        sub.refreshPushed = true;
        deliver(sub.platform, sub.token, sub.topic, timeoutNotification(sub.keyHex, sub.clientId, sub.sessionId), false);
        void saveSub(sub);
      }
    }
    for (const m of [...puts.values()]) {
      for (const p of [...m.values()]) {
        if (t >= p.expiresAt) {
          removePut(p);
          dropPut(p);
        } else if (p.push !== undefined && t >= p.pushAt && !p.refreshPushed) {
          p.refreshPushed = true;
          deliver(platformOf(p.push.platform), p.push.token, p.push.topic, timeoutNotification(p.keyHex, p.push.clientId, p.push.sessionId, p.value.id), false);
          void savePut(p);
        }
      }
    }
  };

  const status = (): ProxyStatus => {
    const bySub = { total: subscriptions.size, unifiedpush: 0, android: 0, ios: 0, none: 0 };
    for (const s of subscriptions.values()) bySub[s.platform]++;
    let clients = 0;
    for (const s of perAddress.values()) if (s.connections > 0) clients++;
    return {
      listening,
      port: listening ? (server.address() as AddressInfo).port : null,
      clients,
      connections: connectionCount,
      listens: listenCount,
      keysWatched: watches.size,
      subscriptions: bySub,
      permanentPuts: putCount,
      requests: { ...counters.requests },
      pushes: { ...counters.pushes },
      refused: { ...counters.refused },
      slowStreamsDropped: counters.slowStreamsDropped,
      dht: { ...counters.dht },
      persist: { ...counters.persist },
      internalErrors: counters.internalErrors,
    };
  };

  const restore = async () => {
    if (db === undefined) return;
    const state = await loadState(db);
    const t = now();
    for (const r of state.subscriptions) {
      if (r.expiresAt <= t || subscriptions.size >= o.maxSubscriptions) {
        persist(() => db.del(subscriptionRecord(r)[0]));
        continue;
      }
      const key = keyFromParam(r.key);
      addSubscription({ token: r.token, clientId: r.clientId, sessionId: r.sessionId, platform: r.platform as Platform, topic: r.topic, refresh: false }, r.key, key, r.address, r);
      counters.persist.restoredSubscriptions++;
    }
    for (const r of state.puts) {
      if (r.expiresAt <= t || putCount >= o.maxPermanentPuts) {
        persist(() => db.del(putRecord(r)[0]));
        continue;
      }
      const key = keyFromParam(r.key);
      const value = r.value;
      const p: PermanentPut = { keyHex: r.key, key, value, address: r.address, expiresAt: r.expiresAt, pushAt: r.pushAt, refreshPushed: r.refreshPushed, ...(r.push ? { push: r.push } : {}) };
      putsAt(r.key).set(value.id, p);
      putCount++;
      slot(r.address).puts++;
      void dht.put(key, value, { permanent: true });
      counters.persist.restoredPuts++;
    }
  };

  return {
    server,
    port: () => (listening ? (server.address() as AddressInfo).port : null),
    async start() {
      await restore();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: o.port, ...(o.host !== undefined ? { host: o.host } : {}) }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
      logger?.info({ port: (server.address() as AddressInfo).port, subscriptions: subscriptions.size, permanentPuts: putCount }, 'dht proxy listening');
    },
    async stop() {
      if (listening) {
        listening = false;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      for (const w of watches.values()) w.cancel();
      watches.clear();
      await Promise.all([...pendingWrites]);
    },
    tick,
    status,
  };
}

function platformOf(s: string): Platform {
  return s === 'android' || s === 'ios' || s === 'unifiedpush' ? s : 'none';
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

