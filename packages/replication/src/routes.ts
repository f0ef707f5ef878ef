/**
 * The box-to-box routes under `/api/replication/v1/`: hello, bucket digests and entries, page
 * fetch, push and reserve. Every request is counted against the sender's address budget.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryAccess } from '@lanbox/nameserver';
import { BUCKETS, decodeBatch, decodeKeys, decodeReserve, decodeWireRecord, parseJson, toWire, type Tombstone, type WireRecord } from './codec/wire.js';
import { applyBatch } from './apply.js';
import { API_PREFIX, type ReplicationContext } from './context.js';
import { learn } from './peers.js';
import { reserve } from './reservations.js';

const MAX_REQUEST_BYTES = 1024 * 1024;

function plainAddress(a: string | undefined): string {
  const s = a ?? 'unknown';
  return s.startsWith('::ffff:') ? s.slice(7) : s;
}

function reply(res: ServerResponse, status: number, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
  return true;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  const parsed = parseJson(Buffer.concat(chunks).toString('utf8'));
  return parsed.ok ? parsed.value : undefined;
}

async function route(ctx: ReplicationContext, req: IncomingMessage, res: ServerResponse, path: string, source: string): Promise<true> {
  const { opts, index, counters, limits, clock } = ctx;
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/hello') {
    return reply(res, 200, {
      box: ctx.self,
      webPort: ctx.components.self.webPort() ?? 0,
      dhtPort: ctx.components.self.dhtPort(),
      root: index.root(),
      count: index.size,
    });
  }
  if (method === 'GET' && path === '/buckets') return reply(res, 200, { buckets: index.bucketDigests() });
  const bucket = /^\/bucket\/(\d{1,3})$/.exec(path);
  if (method === 'GET' && bucket !== null) {
    const b = Number(bucket[1]);
    if (b >= BUCKETS) return reply(res, 404, { error: 'no such bucket' });
    return reply(res, 200, { entries: index.entries(b).slice(0, opts.maxBucketEntries) });
  }
  if (method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
  const body = await readJson(req);
  if (body === undefined) return reply(res, 400, { error: 'invalid or too large body' });
  if (path === '/fetch') {
    const keys = decodeKeys(body, opts.pageSize * 2);
    if (!keys.ok) return reply(res, 400, { error: keys.error });
    const a = ctx.access as RegistryAccess;
    const records: WireRecord[] = [];
    const removals: Tombstone[] = [];
    // All of a page's reads at once: one at a time, each waits its turn on a busy box's thread pool.
    const read = await Promise.all(keys.value.map((key) => (key.includes('/') ? undefined : a.get(key))));
    keys.value.forEach((key, i) => {
      if (key.includes('/')) {
        const t = ctx.tombstones.get(key);
        if (t !== undefined) removals.push(t);
      } else {
        const r = read[i];
        if (r !== undefined) records.push(toWire(r));
      }
    });
    return reply(res, 200, { records, tombstones: removals });
  }
  if (path === '/push') {
    const batch = decodeBatch(body, opts.maxPushRecords);
    if (!batch.ok) return reply(res, 400, { error: batch.error });
    if (!limits.admitRecords(source, batch.value.records.length + batch.value.tombstones.length, clock.now())) {
      counters.throttled += 1;
      return reply(res, 429, { error: 'too many records, slow down' });
    }
    const peer = ctx.peers.find((p) => p.id === req.headers['x-lanbox-box']);
    return reply(res, 200, await applyBatch(ctx, batch.value.records, batch.value.tombstones, source, peer));
  }
  if (path === '/reserve') {
    const raw = decodeReserve(body);
    const record = raw.ok ? decodeWireRecord(raw.value) : raw;
    if (!record.ok) {
      counters.malformed += 1;
      limits.bad(source, 1, clock.now());
      return reply(res, 400, { error: record.error });
    }
    if (ctx.access?.verify(record.value) !== true) {
      counters.badRecords += 1;
      limits.bad(source, 1, clock.now());
      return reply(res, 200, { ok: false, error: 'verification failed' });
    }
    const granted = await reserve(ctx, record.value);
    if (granted) counters.reservationsGranted += 1;
    else counters.reservationsRefused += 1;
    return reply(res, 200, { ok: granted });
  }
  return reply(res, 404, { error: 'not found' });
}

/** Serves the box-to-box routes; false for other paths. A box that calls with its id and port is learnt. */
export async function handleRequest(ctx: ReplicationContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = req.url ?? '';
  if (!url.startsWith(`${API_PREFIX}/`)) return false;
  const source = plainAddress(req.socket.remoteAddress);
  if (!ctx.running || ctx.access === undefined) return reply(res, 503, { error: 'replication not running' });
  if (!ctx.limits.admitRequest(source, ctx.clock.now())) {
    ctx.counters.throttled += 1;
    return reply(res, 429, { error: 'too many requests' });
  }
  const box = req.headers['x-lanbox-box'];
  const port = Number(req.headers['x-lanbox-port']);
  if (typeof box === 'string' && /^[0-9a-f]{40}$/.test(box) && Number.isInteger(port) && port > 0 && port <= 0xffff) learn(ctx, source, port, box, 'contacted');
  return route(ctx, req, res, url.slice(API_PREFIX.length).split('?')[0] ?? '', source);
}
