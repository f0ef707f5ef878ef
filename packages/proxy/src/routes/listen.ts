/** The listen route: a chunked stream of a key's values as they come and go. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { valueLine } from '../codec/value-json.js';
import { release, slot } from '../admission.js';
import type { ProxyContext, Stream } from '../context.js';
import { json, startChunked } from '../responses.js';
import { unwatchIfIdle, watch, writeStream } from '../watches.js';

export const handleListen = (ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, key: Uint8Array, keyHex: string, address: string) => {
  ctx.counters.requests.listen++;
  const s = slot(ctx, address);
  if (ctx.listenCount >= ctx.o.maxListens || s.listens >= ctx.o.maxListensPerAddress) {
    ctx.counters.refused.listens++;
    return json(res, 503, '{"err":"Too many listeners"}');
  }
  ctx.listenCount++;
  s.listens++;
  const socket = req.socket;
  socket.setKeepAlive(true, ctx.o.listenKeepAliveMs);
  socket.setTimeout(0);
  startChunked(res);
  const stream: Stream = { res, address };
  const w = watch(ctx, key, keyHex);
  w.streams.add(stream);
  for (const v of w.values.values()) writeStream(ctx, stream, valueLine(v));
  // A client that goes away frees its stream, its slot and (if last) the DHT listen at once.
  res.once('close', () => {
    ctx.listenCount--;
    s.listens--;
    release(ctx, address);
    w.streams.delete(stream);
    unwatchIfIdle(ctx, w);
  });
};
