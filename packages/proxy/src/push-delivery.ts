/** Push to phones: the allow-list (no open relay), the bounded send queue, Web Push encryption and the gorush gateway. */
import type { Value } from '@lanbox/dht';
import { writeJson, type JsonOut } from './codec/json.js';
import { gorushBody, valueNotification, type Platform } from './codec/push.js';
import type { ProxyContext, Subscription } from './context.js';
import { encryptWebPush, parseWebPushTopic } from './push/ece.js';

export const allowed = (ctx: ProxyContext, token: string): boolean => {
  let url: URL;
  try {
    url = new URL(token);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return ctx.o.allowedPushOrigins.includes(url.origin) || ctx.allowPushTarget?.(url) === true;
};
/** Why a subscription cannot be served, or null. */
export const refusal = (ctx: ProxyContext, platform: Platform, token: string): string | null => {
  if (platform === 'unifiedpush' && !allowed(ctx, token))
    return 'push endpoint not allowed on this box (no open relay); point the ntfy app at the box or add the endpoint to the push allow-list';
  return null;
};

export const pump = (ctx: ProxyContext) => {
  while (ctx.counters.pushes.inFlight < ctx.o.maxPushesInFlight && ctx.pushQueue.length > 0) {
    const req = ctx.pushQueue.shift()!;
    ctx.counters.pushes.inFlight++;
    void ctx
      .transport(req)
      .catch(() => 0)
      .then((status) => {
        ctx.counters.pushes.inFlight--;
        if (status >= 200 && status < 300) ctx.counters.pushes.sent++;
        else {
          ctx.counters.pushes.failed++;
          ctx.logger?.debug({ url: req.url.slice(0, 200), status }, 'proxy: push not accepted');
        }
        pump(ctx);
      });
  }
  ctx.counters.pushes.queued = ctx.pushQueue.length;
};
export const send = (ctx: ProxyContext, url: string, headers: Record<string, string>, body: Uint8Array) => {
  if (ctx.pushQueue.length >= ctx.o.maxPushQueue) {
    ctx.counters.pushes.dropped++;
    return;
  }
  ctx.pushQueue.push({ url, headers, body });
  pump(ctx);
};

export const deliver = (ctx: ProxyContext, platform: Platform, token: string, topic: string, data: Record<string, JsonOut>, high: boolean) => {
  const json = writeJson(data);
  if (platform === 'unifiedpush') {
    if (!allowed(ctx, token)) {
      ctx.counters.pushes.refused++;
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
        body = encryptWebPush(body, keys, ctx.rng(16));
        headers['Content-Encoding'] = 'aes128gcm';
        headers['Content-Type'] = 'application/octet-stream';
        ctx.counters.pushes.encrypted++;
      } catch {
        // Not a point on P-256: the connector falls back to plaintext, so send that.
      }
    }
    send(ctx, token, headers, body);
  } else if (platform === 'android' || platform === 'ios') {
    if (ctx.o.pushGateway === null) {
      ctx.counters.pushes.undeliverable++;
      return;
    }
    const gw = new URL(ctx.o.pushGateway);
    if (gw.pathname === '/' || gw.pathname === '') gw.pathname = '/api/push';
    const body = gorushBody(platform, token, topic !== '' ? topic : ctx.o.iosBundleId, data, high, ctx.now());
    send(ctx, gw.toString(), { 'Content-Type': 'application/json', Accept: '*/*', 'User-Agent': 'lanbox-proxy' }, Buffer.from(writeJson(body)));
  }
};

export const pushValues = (ctx: ProxyContext, sub: Subscription, values: Value[], expired: boolean) => {
  if (sub.platform === 'none') return;
  const ids = values.map((v) => v.id);
  const high = !expired && values.some((v) => !v.priority);
  deliver(
    ctx,
    sub.platform,
    sub.token,
    sub.topic,
    valueNotification(
      sub.keyHex,
      sub.clientId,
      sub.sessionId,
      ctx.now(),
      ids,
      values.map((v) => v.pushType ?? ''),
      expired,
    ),
    high,
  );
};
