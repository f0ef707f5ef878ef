/** One DHT listen per key, shared by the listen streams and push subscriptions on that key. */
import type { Value } from '@lanbox/dht';
import { valueLine } from './codec/value-json.js';
import type { ProxyContext, Stream, Watch } from './context.js';
import { pushValues } from './push-delivery.js';

export const onDht = (ctx: ProxyContext, w: Watch, values: Value[], expired: boolean) => {
  ctx.counters.dht.lastOkMs = ctx.now();
  for (const v of values) {
    if (expired) w.values.delete(v.id);
    else w.values.set(v.id, v);
  }
  const text = values.map((v) => valueLine(v, expired));
  for (const s of w.streams) for (const line of text) writeStream(ctx, s, line);
  for (const sub of w.subs) pushValues(ctx, sub, values, expired);
};

export const watch = (ctx: ProxyContext, key: Uint8Array, keyHex: string): Watch => {
  let w = ctx.watches.get(keyHex);
  if (w !== undefined) return w;
  const created: Watch = { key, keyHex, cancel: () => {}, values: new Map(), streams: new Set(), subs: new Set() };
  w = created;
  ctx.watches.set(keyHex, created);
  // The node calls back at once with what it holds; the watch is registered before that.
  created.cancel = ctx.dht.listen(key, (values, expired) => onDht(ctx, created, values, expired));
  return created;
};
export const unwatchIfIdle = (ctx: ProxyContext, w: Watch) => {
  if (w.streams.size > 0 || w.subs.size > 0) return;
  w.cancel();
  ctx.watches.delete(w.keyHex);
};

export const writeStream = (ctx: ProxyContext, s: Stream, line: string) => {
  if (s.res.destroyed) return;
  s.res.write(line);
  if (s.res.writableLength > ctx.o.maxBufferedBytesPerStream) {
    ctx.counters.slowStreamsDropped++;
    s.res.destroy();
  }
};
