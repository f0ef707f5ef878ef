/** Key routes: get the values at a key, put one (optionally permanent, with push on renewal). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { makeValue } from '@lanbox/dht';
import { parseJson, writeJson } from '../codec/json.js';
import { valueFromJson, valueLine } from '../codec/value-json.js';
import { slot } from '../admission.js';
import type { PermanentPut, ProxyContext } from '../context.js';
import { dropPut, savePut } from '../persistence.js';
import { refusal } from '../push-delivery.js';
import { platformOf, putsAt, removePut } from '../registry.js';
import { json, readBody, startChunked, tooLarge } from '../responses.js';

export const handleGet = async (ctx: ProxyContext, res: ServerResponse, key: Uint8Array) => {
  ctx.counters.requests.get++;
  startChunked(res);
  const values = await ctx.dht.get(key, { timeoutMs: ctx.o.getTimeoutMs });
  ctx.counters.dht.gets++;
  ctx.counters.dht.lastOkMs = ctx.now();
  if (values.length > 0) res.write(values.map((v) => valueLine(v)).join(''));
  res.end();
};

export const handlePut = async (ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, key: Uint8Array, keyHex: string, address: string) => {
  ctx.counters.requests.put++;
  const body = await readBody(ctx, req);
  if (body === null) return tooLarge(ctx, res);
  if (body.length === 0) return json(res, 400, '{"err":"Missing parameters"}');
  const parsed = parseJson(body);
  const put = parsed.ok ? valueFromJson(parsed.value) : null;
  if (put === null || !put.ok) {
    ctx.counters.refused.badRequests++;
    return json(res, 400, '{"err:":"Incorrect JSON"}');
  }
  const { permanent } = put.value;
  let value = put.value.value;
  const t = ctx.now();
  if (permanent !== undefined) {
    const existing = ctx.puts.get(keyHex);
    // A permanent put sent again without its id (the client's periodic refresh) is the same put:
    // renew it and answer with the stored value, without a new DHT put.
    if (value.id === 0n && existing !== undefined) {
      for (const p of existing.values()) {
        if ((p.push?.token ?? '') !== (permanent.push?.token ?? '') || (p.push?.clientId ?? '') !== (permanent.push?.clientId ?? '')) continue;
        const same = makeValue({ ...value, id: p.value.id }).packed;
        if (Buffer.compare(Buffer.from(same), Buffer.from(p.value.packed)) !== 0) continue;
        p.expiresAt = t + ctx.o.operationLifetimeMs;
        p.pushAt = p.expiresAt - ctx.o.refreshMarginMs;
        p.refreshPushed = false;
        if (p.push && permanent.push?.sessionId) p.push.sessionId = permanent.push.sessionId;
        await savePut(ctx, p);
        return json(res, 200, valueLine(p.value));
      }
    }
  }
  if (value.id === 0n) value = { ...value, id: randomId(ctx) };
  const full = makeValue(value);
  let record: PermanentPut | undefined;
  if (permanent !== undefined) {
    const m = putsAt(ctx, keyHex);
    record = m.get(full.id);
    const created = record === undefined;
    if (record === undefined) {
      const s = slot(ctx, address);
      if (ctx.putCount >= ctx.o.maxPermanentPuts || s.puts >= ctx.o.maxPermanentPutsPerAddress) {
        ctx.counters.refused.permanentPuts++;
        if (m.size === 0) ctx.puts.delete(keyHex);
        return json(res, 503, '{"err":"Too many permanent puts"}');
      }
      if (permanent.push !== undefined && refusal(ctx, platformOf(permanent.push.platform), permanent.push.token) !== null) {
        ctx.counters.pushes.refused++;
        if (m.size === 0) ctx.puts.delete(keyHex);
        return json(res, 403, writeJson({ err: 'Push endpoint not allowed' }));
      }
      record = { keyHex, key, value: full, address, expiresAt: 0, pushAt: 0, refreshPushed: false };
      m.set(full.id, record);
      ctx.putCount++;
      s.puts++;
    }
    record.value = full;
    record.expiresAt = t + ctx.o.operationLifetimeMs;
    record.pushAt = record.expiresAt - ctx.o.refreshMarginMs;
    record.refreshPushed = false;
    if (permanent.push !== undefined) record.push = { ...permanent.push };
    if (!(await savePut(ctx, record)) && created) {
      removePut(ctx, record);
      return json(res, 503, '{"err":"Cannot store the permanent put"}');
    }
  }
  const result = await ctx.dht.put(key, full, { permanent: permanent !== undefined });
  ctx.counters.dht.puts++;
  if (!result.stored && result.acks === 0) {
    ctx.counters.dht.putsRefused++;
    if (record !== undefined) {
      removePut(ctx, record);
      dropPut(ctx, record);
    }
    return json(res, 502, '{"err":"Put failed"}');
  }
  ctx.counters.dht.lastOkMs = ctx.now();
  json(res, 200, valueLine(full));
};

export const randomId = (ctx: ProxyContext): bigint => {
  for (;;) {
    const id = Buffer.from(ctx.rng(8)).readBigUInt64BE();
    if (id !== 0n) return id;
  }
};
