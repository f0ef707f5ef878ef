/** The subscriptions and permanent puts held: adding, removing, renewal pushes and expiry. */
import { timeoutNotification, type Platform, type SubscribeBody } from './codec/push.js';
import { release, slot } from './admission.js';
import type { PermanentPut, ProxyContext, Subscription } from './context.js';
import { dropPut, dropSub, savePut, saveSub } from './persistence.js';
import { deliver, pushValues } from './push-delivery.js';
import type { StoredSubscription } from './store.js';
import { unwatchIfIdle, watch } from './watches.js';

export const addSubscription = (
  ctx: ProxyContext,
  b: SubscribeBody,
  keyHex: string,
  key: Uint8Array,
  address: string,
  restored?: StoredSubscription,
): Subscription => {
  const t = ctx.now();
  const sub: Subscription = {
    id: `${b.token}\0${keyHex}\0${b.clientId}`,
    token: b.token,
    keyHex,
    clientId: b.clientId,
    sessionId: b.sessionId,
    platform: b.platform,
    topic: b.topic,
    address,
    expiresAt: restored?.expiresAt ?? t + ctx.o.operationLifetimeMs,
    pushAt: restored?.pushAt ?? t + ctx.o.operationLifetimeMs - ctx.o.refreshMarginMs,
    refreshPushed: restored?.refreshPushed ?? false,
  };
  ctx.subscriptions.set(sub.id, sub);
  slot(ctx, address).subs++;
  const w = watch(ctx, key, keyHex);
  w.subs.add(sub);
  // A new subscription is told about what the key already holds, as OpenDHT's listen does;
  // a restored one is not (a restart must not wake every phone).
  if (restored === undefined && w.values.size > 0) pushValues(ctx, sub, [...w.values.values()], false);
  return sub;
};
export const removeSubscription = (ctx: ProxyContext, sub: Subscription) => {
  ctx.subscriptions.delete(sub.id);
  const s = slot(ctx, sub.address);
  s.subs--;
  release(ctx, sub.address);
  const w = ctx.watches.get(sub.keyHex);
  if (w !== undefined) {
    w.subs.delete(sub);
    unwatchIfIdle(ctx, w);
  }
};

export const putsAt = (ctx: ProxyContext, keyHex: string) => {
  let m = ctx.puts.get(keyHex);
  if (m === undefined) {
    m = new Map();
    ctx.puts.set(keyHex, m);
  }
  return m;
};
export const removePut = (ctx: ProxyContext, p: PermanentPut) => {
  const m = ctx.puts.get(p.keyHex);
  if (m?.delete(p.value.id) !== true) return;
  if (m.size === 0) ctx.puts.delete(p.keyHex);
  ctx.putCount--;
  slot(ctx, p.address).puts--;
  release(ctx, p.address);
  ctx.dht.cancelPut(p.key, p.value.id);
};

/** Renewal pushes shortly before a subscription or permanent put expires, and expiry. */
export const renewAndExpire = (ctx: ProxyContext) => {
  const t = ctx.now();
  for (const sub of [...ctx.subscriptions.values()]) {
    if (t >= sub.expiresAt) {
      removeSubscription(ctx, sub);
      dropSub(ctx, sub);
    } else if (t >= sub.pushAt && !sub.refreshPushed) {
      sub.refreshPushed = true;
      deliver(ctx, sub.platform, sub.token, sub.topic, timeoutNotification(sub.keyHex, sub.clientId, sub.sessionId), false);
      void saveSub(ctx, sub);
    }
  }
  for (const m of [...ctx.puts.values()]) {
    for (const p of [...m.values()]) {
      if (t >= p.expiresAt) {
        removePut(ctx, p);
        dropPut(ctx, p);
      } else if (p.push !== undefined && t >= p.pushAt && !p.refreshPushed) {
        p.refreshPushed = true;
        deliver(
          ctx,
          platformOf(p.push.platform),
          p.push.token,
          p.push.topic,
          timeoutNotification(p.keyHex, p.push.clientId, p.push.sessionId, p.value.id),
          false,
        );
        void savePut(ctx, p);
      }
    }
  }
};

export function platformOf(s: string): Platform {
  return s === 'android' || s === 'ios' || s === 'unifiedpush' ? s : 'none';
}
