/** Node-level routes: node info (also `GET /`), stats, and the push ping. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Float, writeJson, type JsonOut } from '../codec/json.js';
import { parseSubscribeBody, type Platform } from '../codec/push.js';
import type { ProxyContext } from '../context.js';
import { deliver, refusal } from '../push-delivery.js';
import { json, readBody, tooLarge } from '../responses.js';
import { status } from '../status.js';

export const nodeInfo = (ctx: ProxyContext, publicIp: string | null): Record<string, JsonOut> => {
  const st = ctx.dht.status();
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

export const stats = (ctx: ProxyContext): Record<string, JsonOut> => {
  const st = status(ctx);
  const by = (p: Platform) => ({ highPriorityCount: 0, normalPriorityCount: 0, subscriptions: st.subscriptions[p as 'android'] ?? 0 });
  const info = nodeInfo(ctx, null);
  return {
    listenCount: st.listens,
    nodeInfo: info,
    pushListenersCount: new Set([...ctx.subscriptions.values()].map((s) => s.token)).size,
    putCount: ctx.puts.size,
    requestRate: new Float(0),
    totalPermanentPuts: ctx.putCount,
    androidPush: by('android'),
    iosPush: by('ios'),
    unifiedPush: by('unifiedpush'),
  };
};

export const handlePingPush = async (ctx: ProxyContext, req: IncomingMessage, res: ServerResponse) => {
  ctx.counters.requests.other++;
  const body = await readBody(ctx, req);
  if (body === null) return tooLarge(ctx, res);
  const parsed = parseSubscribeBody(body);
  if (!parsed.ok) return parsed.error === 'no-token' ? json(res, 400, '{"err":"No token"}') : json(res, 400, '{"err:":"Incorrect JSON"}');
  const b = parsed.value;
  if (refusal(ctx, b.platform, b.token) !== null) {
    ctx.counters.pushes.refused++;
    return json(res, 403, writeJson({ err: 'Push endpoint not allowed' }));
  }
  deliver(ctx, b.platform, b.token, b.topic, { to: b.clientId, pong: true }, true);
  json(res, 200, '{}\n');
};
