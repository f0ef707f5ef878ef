/** Push subscription routes: SUBSCRIBE (new or renewed) and UNSUBSCRIBE on a key. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeJson } from '../codec/json.js';
import { parseSubscribeBody } from '../codec/push.js';
import { valueLine } from '../codec/value-json.js';
import { slot } from '../admission.js';
import type { ProxyContext } from '../context.js';
import { dropSub, saveSub } from '../persistence.js';
import { refusal } from '../push-delivery.js';
import { addSubscription, removeSubscription } from '../registry.js';
import { COMMON, json, notImplemented, readBody, startChunked, tooLarge } from '../responses.js';

export const handleSubscribe = async (ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, key: Uint8Array, keyHex: string, address: string) => {
  ctx.counters.requests.subscribe++;
  const body = await readBody(ctx, req);
  if (body === null) return tooLarge(ctx, res);
  const parsed = parseSubscribeBody(body);
  if (!parsed.ok) {
    ctx.counters.refused.badRequests++;
    return parsed.error === 'no-token' ? json(res, 400, '{"err":"No token"}') : json(res, 400, '{"err:":"Incorrect JSON"}');
  }
  const b = parsed.value;
  const why = refusal(ctx, b.platform, b.token);
  if (why !== null) {
    ctx.counters.pushes.refused++;
    ctx.counters.refused.subscriptions++;
    ctx.logger?.info({ client: address, endpoint: b.token.slice(0, 200) }, 'proxy: push subscription refused (endpoint not allowed)');
    return json(res, 403, writeJson({ err: why }));
  }
  const id = `${b.token}\0${keyHex}\0${b.clientId}`;
  const existing = ctx.subscriptions.get(id);
  if (existing === undefined) {
    if (ctx.subscriptions.size >= ctx.o.maxSubscriptions || slot(ctx, address).subs >= ctx.o.maxSubscriptionsPerAddress) {
      ctx.counters.refused.subscriptions++;
      return json(res, 503, '{"err":"Too many subscriptions"}');
    }
    const sub = addSubscription(ctx, b, keyHex, key, address);
    // Acknowledged only once stored: a phone told "subscribed" stays reachable after a power cut.
    if (!(await saveSub(ctx, sub))) {
      removeSubscription(ctx, sub);
      return json(res, 503, '{"err":"Cannot store the subscription"}');
    }
    return json(res, 200, '{}\n');
  }
  const t = ctx.now();
  existing.sessionId = b.sessionId;
  existing.platform = b.platform;
  existing.topic = b.topic;
  existing.expiresAt = t + ctx.o.operationLifetimeMs;
  existing.pushAt = existing.expiresAt - ctx.o.refreshMarginMs;
  existing.refreshPushed = false;
  await saveSub(ctx, existing);
  startChunked(res);
  if (b.refresh) {
    res.end('{}\n');
    return;
  }
  const values = await ctx.dht.get(key, { timeoutMs: ctx.o.getTimeoutMs });
  ctx.counters.dht.lastOkMs = ctx.now();
  for (const v of values) res.write(valueLine(v));
  res.end();
};

export const handleUnsubscribe = async (ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, keyHex: string) => {
  ctx.counters.requests.unsubscribe++;
  const body = await readBody(ctx, req);
  if (body === null) return tooLarge(ctx, res);
  const parsed = parseSubscribeBody(body);
  if (!parsed.ok) {
    ctx.counters.refused.badRequests++;
    return parsed.error === 'no-token' ? notImplemented(ctx, res) : json(res, 400, '{"err:":"Incorrect JSON"}');
  }
  const sub = ctx.subscriptions.get(`${parsed.value.token}\0${keyHex}\0${parsed.value.clientId}`);
  if (sub !== undefined) {
    removeSubscription(ctx, sub);
    dropSub(ctx, sub);
  }
  res.writeHead(200, { ...COMMON, 'Content-Length': '0' });
  res.end();
};
