/** Writing subscriptions and permanent puts to the db, and restoring them at start. */
import { keyFromParam } from './codec/key.js';
import type { Platform } from './codec/push.js';
import { slot } from './admission.js';
import type { PermanentPut, ProxyContext, Subscription } from './context.js';
import { addSubscription, putsAt } from './registry.js';
import { loadState, putRecord, subscriptionRecord, type StoredPut, type StoredSubscription } from './store.js';

/** Resolves false when the write failed (counted and logged); true without a db. */
export const persist = (ctx: ProxyContext, op: () => Promise<void>): Promise<boolean> => {
  if (ctx.db === undefined) return Promise.resolve(true);
  ctx.counters.persist.writes++;
  const p = op()
    .then(() => true)
    .catch((err: unknown) => {
      ctx.counters.persist.errors++;
      ctx.logger?.warn({ err }, 'proxy: persisting failed');
      return false;
    })
    .finally(() => ctx.pendingWrites.delete(p));
  ctx.pendingWrites.add(p);
  return p;
};
export const saveSub = (ctx: ProxyContext, s: Subscription) => {
  const rec: StoredSubscription = {
    token: s.token,
    key: s.keyHex,
    clientId: s.clientId,
    sessionId: s.sessionId,
    platform: s.platform,
    topic: s.topic,
    address: s.address,
    expiresAt: s.expiresAt,
    pushAt: s.pushAt,
    refreshPushed: s.refreshPushed,
  };
  return persist(ctx, () => ctx.db!.put(...subscriptionRecord(rec)));
};
export const dropSub = (ctx: ProxyContext, s: Subscription) =>
  persist(ctx, () => ctx.db!.del(subscriptionRecord({ token: s.token, key: s.keyHex, clientId: s.clientId } as StoredSubscription)[0]));
export const savePut = (ctx: ProxyContext, p: PermanentPut) => {
  const rec: StoredPut = {
    key: p.keyHex,
    packed: Buffer.from(p.value.packed).toString('base64'),
    id: p.value.id.toString(),
    address: p.address,
    expiresAt: p.expiresAt,
    pushAt: p.pushAt,
    refreshPushed: p.refreshPushed,
    ...(p.push ? { push: p.push } : {}),
  };
  return persist(ctx, () => ctx.db!.put(...putRecord(rec)));
};
export const dropPut = (ctx: ProxyContext, p: PermanentPut) =>
  persist(ctx, () => ctx.db!.del(putRecord({ key: p.keyHex, id: p.value.id.toString() } as StoredPut)[0]));

export const restore = async (ctx: ProxyContext) => {
  const db = ctx.db;
  if (db === undefined) return;
  const state = await loadState(db);
  const t = ctx.now();
  for (const r of state.subscriptions) {
    if (r.expiresAt <= t || ctx.subscriptions.size >= ctx.o.maxSubscriptions) {
      persist(ctx, () => db.del(subscriptionRecord(r)[0]));
      continue;
    }
    const key = keyFromParam(r.key);
    addSubscription(
      ctx,
      { token: r.token, clientId: r.clientId, sessionId: r.sessionId, platform: r.platform as Platform, topic: r.topic, refresh: false },
      r.key,
      key,
      r.address,
      r,
    );
    ctx.counters.persist.restoredSubscriptions++;
  }
  for (const r of state.puts) {
    if (r.expiresAt <= t || ctx.putCount >= ctx.o.maxPermanentPuts) {
      persist(ctx, () => db.del(putRecord(r)[0]));
      continue;
    }
    const key = keyFromParam(r.key);
    const value = r.value;
    const p: PermanentPut = {
      keyHex: r.key,
      key,
      value,
      address: r.address,
      expiresAt: r.expiresAt,
      pushAt: r.pushAt,
      refreshPushed: r.refreshPushed,
      ...(r.push ? { push: r.push } : {}),
    };
    putsAt(ctx, r.key).set(value.id, p);
    ctx.putCount++;
    slot(ctx, r.address).puts++;
    void ctx.dht.put(key, value, { permanent: true });
    ctx.counters.persist.restoredPuts++;
  }
};
