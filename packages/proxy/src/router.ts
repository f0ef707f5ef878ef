/** Maps a request's method and path to its route, as OpenDHT's proxy server does. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toHex } from '@lanbox/dht';
import { writeJson } from './codec/json.js';
import { keyFromParam } from './codec/key.js';
import { clientOf } from './admission.js';
import type { ProxyContext } from './context.js';
import { cors, json, notImplemented } from './responses.js';
import { handleGet, handlePut } from './routes/key.js';
import { handleListen } from './routes/listen.js';
import { handlePingPush, nodeInfo, stats } from './routes/node.js';
import { handleSubscribe, handleUnsubscribe } from './routes/subscribe.js';

export const route = async (ctx: ProxyContext, req: IncomingMessage, res: ServerResponse) => {
  ctx.counters.requests.total++;
  const address = clientOf(req.socket);
  const target = req.url ?? '/';
  let path = target.split('?', 1)[0]!;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const seg = path.split('/').slice(1);
  const method = req.method ?? '';
  if (path === '/') {
    if (method !== 'GET') return notImplemented(ctx, res);
    ctx.counters.requests.info++;
    return json(res, 200, `${writeJson(nodeInfo(ctx, req.socket.remoteAddress ?? null))}\n`);
  }
  if (seg[0] === 'node' && seg.length === 2) {
    if (seg[1] === 'info' && method === 'GET') {
      ctx.counters.requests.info++;
      return json(res, 200, `${writeJson(nodeInfo(ctx, req.socket.remoteAddress ?? null))}\n`);
    }
    if (seg[1] === 'stats' && method === 'GET') {
      ctx.counters.requests.info++;
      return json(res, 200, `${writeJson(stats(ctx))}\n`);
    }
    if (seg[1] === 'pingPush' && method === 'POST') return handlePingPush(ctx, req, res);
    return notImplemented(ctx, res);
  }
  let param: string;
  let sub: string | undefined;
  if (seg[0] === 'key' && (seg.length === 2 || seg.length === 3)) {
    param = seg[1]!;
    sub = seg[2];
  } else if (seg.length === 1) {
    param = seg[0]!;
    if (method === 'OPTIONS') return cors(ctx, res);
  } else return notImplemented(ctx, res);
  if (param === '') return notImplemented(ctx, res);
  const key = keyFromParam(param);
  const keyHex = toHex(key);
  if (sub === 'listen') {
    if (method === 'GET') return handleListen(ctx, req, res, key, keyHex, address);
    if (method === 'OPTIONS') return cors(ctx, res);
    return notImplemented(ctx, res);
  }
  if (sub === 'options') return method === 'GET' ? cors(ctx, res) : notImplemented(ctx, res);
  if (sub !== undefined) return notImplemented(ctx, res);
  switch (method) {
    case 'GET':
      return handleGet(ctx, res, key);
    case 'POST':
      return handlePut(ctx, req, res, key, keyHex, address);
    case 'SUBSCRIBE':
      return handleSubscribe(ctx, req, res, key, keyHex, address);
    case 'UNSUBSCRIBE':
      return handleUnsubscribe(ctx, req, res, keyHex);
    default:
      return notImplemented(ctx, res);
  }
};
