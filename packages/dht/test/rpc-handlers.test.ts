import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeMessage, makeValue, sha1 } from '../src/codec/index.js';
import type { Message, Value } from '../src/codec/types.js';
import { createHarness, errorOf, type Harness, type Probe, replyBody, replyOf } from './rpc-harness.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Get a token for `probe` on `family` by a get request. */
function tokenFor(h: Harness, probe: Probe, family: 4 | 6 = 4): Uint8Array {
  const tid = probe.request(family, { type: 'get', id: probe.id, key: sha1('token-key') });
  h.settle();
  const token = replyBody(replyOf(probe.take(), tid)).token;
  assert.ok(token);
  return token;
}

/** Answer every request the node sent to the probe (its pings), so it becomes a good node. */
function answerRequests(h: Harness, probe: Probe): void {
  for (const r of probe.take()) {
    if (r.msg.kind !== 'request') continue;
    probe.send(r.family, { tid: r.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: probe.id, seenAddress: r.address } });
  }
  h.settle();
}

describe('request handlers', () => {
  let h: Harness;
  let p: Probe;
  before(async () => {
    h = await createHarness({ rateLimit: null });
    p = await h.probe();
  });
  after(async () => h.stop());

  it('ping → {id, sa} with the tid echoed and user agent o2', () => {
    const tid = p.request(4, { type: 'ping', id: p.id });
    h.settle();
    const r = replyOf(p.take(), tid);
    assert.equal(r.msg.userAgent, 'o2');
    assert.equal(r.msg.networkId, 0);
    assert.deepEqual(replyBody(r), { id: h.node.id, seenAddress: p.address4 });
    // Byte-exact with the canonical encoding of that reply.
    assert.deepEqual(
      r.bytes,
      encodeMessage({ tid, userAgent: 'o2', networkId: 0, client: false, kind: 'reply', reply: { id: h.node.id, seenAddress: p.address4 } }),
    );
  });

  it('ping over IPv6 reports the 16-byte address', () => {
    const tid = p.request(6, { type: 'ping', id: p.id });
    h.settle();
    assert.equal(replyBody(replyOf(p.take(), tid)).seenAddress, p.address6);
  });

  it('find → good nodes of the request family only, closest first, plus a 32-byte token', async () => {
    const others: Probe[] = [];
    for (let i = 0; i < 10; i++) {
      const o = await h.probe();
      o.request(4, { type: 'ping', id: o.id });
      o.request(6, { type: 'ping', id: o.id });
      others.push(o);
    }
    h.settle();
    // Nodes that never answered one of our requests are dubious: not listed.
    let tid = p.request(4, { type: 'find', id: p.id, target: sha1('t') });
    h.settle();
    let body = replyBody(replyOf(p.take(), tid));
    assert.equal(body.nodes4, undefined);
    for (const o of others) answerRequests(h, o);
    const target = sha1('t');
    tid = p.request(4, { type: 'find', id: p.id, target });
    h.settle();
    body = replyBody(replyOf(p.take(), tid));
    assert.equal(body.nodes4?.length, 8);
    assert.equal(body.nodes6, undefined);
    assert.equal(body.token?.length, 32);
    const dist = (id: Uint8Array): string => hex(id.map((b, i) => b ^ target[i]!));
    const listed = body.nodes4!.map((n) => dist(n.id));
    assert.deepEqual(listed, [...listed].sort());
    assert.ok(body.nodes4!.every((n) => n.address.startsWith('10.0.1.')));
    tid = p.request(4, { type: 'find', id: p.id, target, want: [4, 6] });
    h.settle();
    body = replyBody(replyOf(p.take(), tid));
    assert.equal(body.nodes4?.length, 8);
    assert.equal(body.nodes6?.length, 8);
    assert.ok(body.nodes6!.every((n) => n.address.startsWith('fd00:1::')));
  });

  it('get without h → error 203 carrying our id', () => {
    const tid = p.request(4, { type: 'get', id: p.id });
    h.settle();
    const e = errorOf(p.take(), tid);
    assert.equal(e.code, 203);
    assert.deepEqual(e.id, h.node.id);
  });

  it('put: 401 with a bad token, 401 with a token of another port or family, vid per value with a good one', async () => {
    const key = sha1('putkey');
    const value = makeValue({ id: 77n, body: { type: 0, data: text('v') } });
    let tid = p.request(4, { type: 'put', id: p.id, key, values: { kind: 'inline', values: [value] }, token: new Uint8Array(32) });
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 401);

    const token = tokenFor(h, p, 4);
    const samehost = await h.probe({ address4: p.address4, address6: 'fd00:2::1', port: p.port + 100 });
    tid = samehost.request(4, { type: 'put', id: samehost.id, key, values: { kind: 'inline', values: [value] }, token });
    h.settle();
    assert.equal(errorOf(samehost.take(), tid).code, 401, 'token bound to the port');
    tid = p.request(6, { type: 'put', id: p.id, key, values: { kind: 'inline', values: [value] }, token });
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 401, 'token bound to the family');

    // `c` in the past shortens the life; the value is still fresh enough to be kept.
    const created = Math.floor(h.clock.now() / 1000) - 60;
    tid = p.request(4, { type: 'put', id: p.id, key, values: { kind: 'inline', values: [value] }, token, created });
    h.settle();
    assert.deepEqual(replyBody(replyOf(p.take(), tid)), { id: h.node.id, valueId: 77n, seenAddress: p.address4 });
    assert.equal(h.node.status().storage.values, 1);
  });

  it('put: `c` in the future counts as now, a long-expired `c` is neither stored nor acknowledged', () => {
    const token = tokenFor(h, p);
    const key = sha1('created');
    const nowS = Math.floor(h.clock.now() / 1000);
    // Type 5 lives 1 min: with `c` an hour ahead unclamped it would live 61 min.
    let tid = p.request(4, {
      type: 'put',
      id: p.id,
      key,
      values: { kind: 'inline', values: [makeValue({ id: 1n, body: { type: 5, data: text('ice') } })] },
      token,
      created: nowS + 3600,
    });
    h.settle();
    assert.equal(replyBody(replyOf(p.take(), tid)).valueId, 1n);
    tid = p.request(4, {
      type: 'put',
      id: p.id,
      key,
      values: { kind: 'inline', values: [makeValue({ id: 2n, body: { type: 0, data: text('old') } })] },
      token,
      created: nowS - 3600,
    });
    h.settle();
    assert.deepEqual(
      p.take().filter((r) => r.msg.tid === tid),
      [],
      'no answer for a value not kept',
    );
    const ids = (): bigint[] => {
      const t = p.request(4, { type: 'get', id: p.id, key });
      h.settle();
      const values = replyBody(replyOf(p.take(), t)).values;
      return values?.kind === 'inline' ? values.values.map((v) => v.id) : [];
    };
    assert.deepEqual(ids(), [1n]);
    h.settle(61_000);
    assert.deepEqual(ids(), []);
  });

  it('put without h → 203; value id 0 → 203; empty values → no answer', () => {
    const token = tokenFor(h, p);
    let tid = p.request(4, { type: 'put', id: p.id, values: { kind: 'inline', values: [makeValue({ id: 1n, body: { type: 0, data: text('x') } })] }, token });
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 203);
    tid = p.request(4, {
      type: 'put',
      id: p.id,
      key: sha1('k0'),
      values: { kind: 'inline', values: [makeValue({ id: 0n, body: { type: 0, data: text('x') } })] },
      token,
    });
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 203);
    tid = p.request(4, { type: 'put', id: p.id, key: sha1('k0'), values: { kind: 'inline', values: [] }, token });
    h.settle();
    assert.equal(p.take().filter((r) => r.msg.tid === tid).length, 0);
  });

  it('get returns stored values, SELECT id returns fileds, WHERE id filters', () => {
    const key = sha1('getkey');
    const token = tokenFor(h, p);
    const values = [1n, 2n].map((id) => makeValue({ id, body: { type: 0, data: text(`value ${id}`) } }));
    for (const v of values) p.request(4, { type: 'put', id: p.id, key, values: { kind: 'inline', values: [v] }, token });
    h.settle();
    p.take();
    let tid = p.request(4, { type: 'get', id: p.id, key });
    h.settle();
    let body = replyBody(replyOf(p.take(), tid));
    assert.equal(body.values?.kind, 'inline');
    assert.deepEqual(body.values.kind === 'inline' && body.values.values.map((v) => v.id).sort(), [1n, 2n]);
    assert.equal(body.token?.length, 32);
    tid = p.request(4, { type: 'get', id: p.id, key, query: { select: [1], where: [] } });
    h.settle();
    body = replyBody(replyOf(p.take(), tid));
    assert.equal(body.values, undefined);
    assert.deepEqual(body.fields?.fields, [1]);
    assert.deepEqual([...(body.fields?.values ?? [])].sort(), [1n, 2n]);
    tid = p.request(4, { type: 'get', id: p.id, key, query: { select: [], where: [{ field: 1, value: 2n }] } });
    h.settle();
    body = replyBody(replyOf(p.take(), tid));
    assert.deepEqual(body.values?.kind === 'inline' && body.values.values.map((v) => v.id), [2n]);
    // Nothing stored: neither values nor fileds, but still a token.
    tid = p.request(4, { type: 'get', id: p.id, key: sha1('empty') });
    h.settle();
    body = replyBody(replyOf(p.take(), tid));
    assert.equal(body.values, undefined);
    assert.equal(body.fields, undefined);
    assert.ok(body.token);
  });

  it('get replies with ≥ 600 bytes of values are sent as header + value parts, in order', () => {
    const key = sha1('fragkey');
    const token = tokenFor(h, p);
    const big = makeValue({ id: 9n, body: { type: 0, data: new Uint8Array(3000).fill(1), userType: 'application/octet-stream' } });
    // A fragmented put: header first, then the parts.
    const tid0 = 424242;
    p.send(4, {
      tid: tid0,
      networkId: 0,
      client: false,
      userAgent: 'o2',
      kind: 'request',
      request: { type: 'put', id: p.id, key, values: { kind: 'fragmented', sizes: [big.packed.length] }, token },
    });
    for (let offset = 0, index = 0; offset < big.packed.length; offset += 1280) {
      p.send(4, { tid: tid0, networkId: 0, client: false, kind: 'value-part', parts: [{ index, offset, data: big.packed.subarray(offset, offset + 1280) }] });
    }
    h.settle();
    assert.equal(replyBody(replyOf(p.take(), tid0)).valueId, 9n);
    const tid = p.request(4, { type: 'get', id: p.id, key });
    h.settle();
    const batch = p.take().filter((r) => r.msg.tid === tid);
    assert.equal(batch[0]!.msg.kind, 'reply');
    const head = replyBody(batch[0]!);
    assert.deepEqual(head.values, { kind: 'fragmented', sizes: [big.packed.length] });
    const parts = batch.slice(1).map((r) => (r.msg as Message & { kind: 'value-part' }).parts[0]!);
    assert.deepEqual(
      parts.map((x) => x.offset),
      [0, 1280, 2560],
    );
    assert.deepEqual(Buffer.concat(parts.map((x) => x.data)), Buffer.from(big.packed));
    assert.ok(batch.every((r) => r.bytes.length <= 1400));
  });

  it('refresh: 401 bad token, 404 unknown key, vid for a stored value', () => {
    const token = tokenFor(h, p);
    let tid = p.request(4, { type: 'refresh', id: p.id, key: sha1('putkey'), valueId: 77n, token: new Uint8Array(32) });
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 401);
    tid = p.request(4, { type: 'refresh', id: p.id, key: sha1('nothing here'), valueId: 77n, token });
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 404);
    tid = p.request(4, { type: 'refresh', id: p.id, key: sha1('putkey'), valueId: 77n, token });
    h.settle();
    assert.deepEqual(replyBody(replyOf(p.take(), tid)), { id: h.node.id, valueId: 77n, seenAddress: p.address4 });
  });

  it('listen: 203 without h, 401 bad token; confirmation with a token, values as update requests (ve=1)', async () => {
    const key = sha1('lkey');
    let tid = p.request(4, { type: 'listen', id: p.id, socketId: 5, version: 1 });
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 203);
    tid = p.request(4, { type: 'listen', id: p.id, key, socketId: 5, version: 1, token: new Uint8Array(32) });
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 401);
    const token = tokenFor(h, p);
    tid = p.request(4, { type: 'listen', id: p.id, key, socketId: 5, version: 1, token });
    h.settle();
    const confirm = replyBody(replyOf(p.take(), tid));
    assert.deepEqual(confirm.id, h.node.id);
    assert.equal(confirm.seenAddress, p.address4);
    assert.equal(confirm.token?.length, 32);
    assert.equal(h.node.status().storage.listeners, 1);

    const putter = await h.probe();
    const ptoken = tokenFor(h, putter);
    const value = makeValue({ id: 555n, body: { type: 0, data: text('news') } });
    putter.request(4, { type: 'put', id: putter.id, key, values: { kind: 'inline', values: [value] }, token: ptoken });
    h.settle();
    const updates = p.take().filter((r) => r.msg.kind === 'request' && r.msg.request.type === 'update');
    assert.equal(updates.length, 1);
    const upd = updates[0]!.msg as Message & { kind: 'request' };
    assert.equal(upd.request.type, 'update');
    if (upd.request.type !== 'update') return;
    assert.equal(upd.request.socketId, 5);
    assert.equal(upd.request.version, 1);
    assert.deepEqual(upd.request.key, key);
    assert.deepEqual(upd.request.values?.kind === 'inline' && upd.request.values.values.map((v: Value) => v.id), [555n]);
    assert.equal(upd.request.token?.length, 32);
    // Unacknowledged updates are retransmitted (same tid) ...
    h.settle(1300);
    const again = p.take().filter((r) => r.msg.kind === 'request' && r.msg.tid === upd.tid);
    assert.equal(again.length, 1);
    // ... until acknowledged.
    p.send(4, { tid: upd.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: p.id, seenAddress: h.nodeAddress[4] } });
    h.settle(10_000);
    assert.equal(p.take().filter((r) => r.msg.tid === upd.tid).length, 0);

    // Refresh → `re`; expiry → `exp`.
    putter.request(4, { type: 'refresh', id: putter.id, key, valueId: 555n, token: ptoken });
    h.settle();
    const re = p.take().find((r) => r.msg.kind === 'request' && r.msg.request.type === 'update');
    assert.ok(re && re.msg.kind === 'request' && re.msg.request.type === 'update');
    assert.deepEqual(re.msg.request.refreshed, [555n]);
    // Keep the subscription alive and answer updates while the value expires (10 min).
    let expired: bigint[] | undefined;
    for (let i = 0; i < 12 && !expired; i++) {
      h.settle(60_000);
      p.request(4, { type: 'listen', id: p.id, key, socketId: 5, version: 1, token });
      for (const r of p.take()) {
        if (r.msg.kind === 'request' && r.msg.request.type === 'update') {
          if (r.msg.request.expired) expired = r.msg.request.expired;
          p.send(4, { tid: r.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: p.id, seenAddress: h.nodeAddress[4] } });
        }
      }
    }
    assert.deepEqual(expired, [555n]);
  });

  it('legacy listen (no ve): values as a reply with t = sid, expiry as a `u` message', async () => {
    const key = sha1('legacy');
    const token = tokenFor(h, p);
    const tid = p.request(4, { type: 'listen', id: p.id, key, socketId: 31337, version: 0, token });
    h.settle();
    replyOf(p.take(), tid);
    const putter = await h.probe();
    const ptoken = tokenFor(h, putter);
    putter.request(4, {
      type: 'put',
      id: putter.id,
      key,
      values: { kind: 'inline', values: [makeValue({ id: 8n, body: { type: 5, data: text('x') } })] },
      token: ptoken,
    });
    h.settle();
    const pushed = replyOf(p.take(), 31337);
    const body = replyBody(pushed);
    assert.deepEqual(body.values?.kind === 'inline' && body.values.values.map((v) => v.id), [8n]);
    assert.ok(body.token);
    h.settle(70_000);
    const u = p.take().find((r) => r.msg.kind === 'legacy-update');
    assert.ok(u && u.msg.kind === 'legacy-update');
    assert.equal(u.msg.tid, 31337);
    assert.deepEqual(u.msg.update.expired, [8n]);
  });

  it('update requests are always acknowledged with {id, sa}', () => {
    const tid = p.request(4, { type: 'update', id: p.id, socketId: 999 });
    h.settle();
    assert.deepEqual(replyBody(replyOf(p.take(), tid)), { id: h.node.id, seenAddress: p.address4 });
  });

  it('drops other network ids, our own id and the zero id silently', () => {
    const before = h.node.status().counters.dropped;
    const netid = before.netid;
    const self = before.selfOrZeroId;
    const malformed = before.malformed;
    p.request(4, { type: 'ping', id: p.id }, undefined, { networkId: 7 });
    p.request(4, { type: 'ping', id: h.node.id });
    p.request(4, { type: 'ping', id: new Uint8Array(20) });
    h.settle();
    assert.equal(p.take().filter((r) => r.msg.kind === 'reply').length, 0);
    const after = h.node.status().counters.dropped;
    assert.equal(after.netid, netid + 1);
    // The zero id is refused by the codec (malformed) or by the node.
    assert.equal(after.selfOrZeroId + after.malformed, self + malformed + 2);
    assert.ok(after.selfOrZeroId >= self + 1);
  });

  it('counts malformed datagrams and survives random input', () => {
    const before = h.node.status().counters.dropped.malformed;
    let seed = 12345;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 300; i++) {
      const bytes = new Uint8Array(1 + Math.floor(rand() * 200)).map(() => Math.floor(rand() * 256));
      p.sendRaw(4, bytes);
    }
    h.settle();
    assert.ok(h.node.status().counters.dropped.malformed > before + 250);
  });

  it('clients (s: true) are answered but never enter the routing table', async () => {
    const c = await h.probe();
    const before = h.node.status().nodes[4].total;
    const tid = c.request(4, { type: 'ping', id: c.id }, undefined, { client: true });
    h.settle();
    replyOf(c.take(), tid);
    assert.equal(h.node.status().nodes[4].total, before);
    // Nor when it answers one of our requests.
    const pinged = h.node.ping(4, c.address4, c.port);
    h.settle();
    const req = c.take().find((r) => r.msg.kind === 'request')!;
    c.send(4, { tid: req.msg.tid, networkId: 0, client: true, userAgent: 'o2', kind: 'reply', reply: { id: c.id, seenAddress: h.nodeAddress[4] } });
    h.settle();
    assert.equal(hex((await pinged)!), hex(c.id));
    assert.equal(h.node.status().nodes[4].total, before);
  });
});

describe('puts the node will not keep (issue 11, finding 3)', () => {
  it('two sources filling their share of the key table leave room for a newcomer, and a refused put gets no acknowledgement', async () => {
    // The default shape scaled down: the key table holds 16 keys, a source may take 4 of them.
    const h = await createHarness({ rateLimit: null, storage: { maxKeys: 16, maxKeysPerSource: 4 } });
    const put = (probe: Probe, name: string, id: bigint): boolean => {
      const token = tokenFor(h, probe);
      const tid = probe.request(4, {
        type: 'put',
        id: probe.id,
        key: sha1(name),
        values: { kind: 'inline', values: [makeValue({ id, body: { type: 0, data: text(name) } })] },
        token,
      });
      h.settle();
      const answers = probe.take().filter((r) => r.msg.tid === tid);
      if (answers.length === 0) return false;
      assert.equal(replyBody(replyOf(answers, tid)).valueId, id, 'an acknowledgement names the value');
      return true;
    };
    const flooders = [await h.probe({ address4: '10.0.7.1' }), await h.probe({ address4: '10.0.7.2' })];
    for (const [i, f] of flooders.entries()) {
      const acked = Array.from({ length: 8 }, (_, k) => put(f, `flood-${i}-${k}`, BigInt(k + 1)));
      assert.deepEqual(acked, [true, true, true, true, false, false, false, false], 'a source gets its share of keys, and no ack beyond it');
    }
    assert.equal(h.node.status().storage.rejected['source-keys-full'], 8);
    // Eight more sources take the rest of the table; then a ninth source still gets room.
    for (let s = 3; s <= 6; s++) {
      const f = await h.probe({ address4: `10.0.7.${s}` });
      for (let k = 0; k < 2; k++) put(f, `fill-${s}-${k}`, 1n);
    }
    assert.equal(h.node.status().storage.keys, 16, 'the key table is full');
    const newcomer = await h.probe({ address4: '10.0.8.1' });
    assert.deepEqual([put(newcomer, 'mine-1', 1n), put(newcomer, 'mine-2', 2n)], [true, true], 'stored at the expense of the largest holders');
    // The flooders keep refreshing and trying new keys: they cannot take the newcomer's keys back.
    for (let round = 0; round < 3; round++) for (const [i, f] of flooders.entries()) for (let k = 0; k < 8; k++) put(f, `flood-${i}-${k}`, BigInt(k + 1));
    const got = (name: string): number => {
      const tid = newcomer.request(4, { type: 'get', id: newcomer.id, key: sha1(name) });
      h.settle();
      const values = replyBody(replyOf(newcomer.take(), tid)).values;
      return values?.kind === 'inline' ? values.values.length : 0;
    };
    assert.deepEqual([got('mine-1'), got('mine-2')], [1, 1]);
    assert.ok(h.node.status().storage.evicted >= 2);
    await h.stop();
  });
});

describe('transactions', () => {
  it('sends a request 3 times (resends ≈1 s and ≈2 s apart) and then times out', async () => {
    const h = await createHarness({ rateLimit: null });
    const silent = await h.probe();
    const pinged = h.node.ping(4, silent.address4, silent.port);
    h.settle(5);
    const times: number[] = [];
    const t0 = h.clock.now();
    for (let ms = 0; ms < 12_000; ms += 50) {
      if (silent.take().length > 0) times.push(h.clock.now() - t0);
      h.settle(50);
    }
    assert.equal(await pinged, null);
    assert.equal(times.length, 3, `sent at ${times}`);
    assert.ok(times[1]! - times[0]! >= 950 && times[1]! - times[0]! <= 1350, `first resend at ${times[1]}`);
    assert.ok(times[2]! - times[1]! >= 1950 && times[2]! - times[1]! <= 2900, `second at ${times[2]}`);
    assert.equal(h.node.status().counters.timeouts, 1);
    await h.stop();
  });

  it('a reply that comes after its request timed out still makes the node good (a stalled event loop runs timers first)', async () => {
    const h = await createHarness({ rateLimit: null });
    const slow = await h.probe();
    // It contacts us; we ping it back to make it good, and it answers only after our timeout.
    slow.request(4, { type: 'ping', id: slow.id });
    h.settle();
    const ping = slow.take().find((r) => r.msg.kind === 'request' && r.msg.request.type === 'ping');
    assert.ok(ping);
    h.settle(12_000);
    assert.equal(h.node.status().counters.timeouts, 1);
    assert.equal(h.node.status().nodes[4].good, 0);
    slow.send(4, { tid: ping.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: slow.id, seenAddress: '10.0.0.1' } });
    h.settle();
    assert.equal(h.node.status().nodes[4].good, 1, 'good at once, not after the next maintenance pass');
    // Any other tid is still no answer of ours.
    const other = await h.probe();
    other.send(4, { tid: ping.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: other.id, seenAddress: '10.0.0.1' } });
    h.settle();
    assert.equal(h.node.status().nodes[4].good, 1);
    await h.stop();
  });

  it('matches a reply by node id and tid; a reply from another id is ignored', async () => {
    const h = await createHarness({ rateLimit: null });
    const a = await h.probe();
    const b = await h.probe();
    const pinged = h.node.ping(4, a.address4, a.port);
    h.settle();
    const req = a.take()[0]!;
    // First reply reveals a's id (bootstrap ping, matched by tid + address) ...
    a.send(4, { tid: req.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: a.id, seenAddress: '10.0.0.1' } });
    h.settle();
    assert.deepEqual(await pinged, a.id);
    // ... a reply with the same tid from someone else matches nothing.
    const unmatched = h.node.status().counters.dropped.unmatchedReply;
    b.send(4, { tid: req.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: b.id, seenAddress: '10.0.0.1' } });
    h.settle();
    assert.equal(h.node.status().counters.dropped.unmatchedReply, unmatched + 1);
    await h.stop();
  });

  it('blacklists a node whose get reply carries no token', async () => {
    const h = await createHarness({ rateLimit: null });
    const liar = await h.probe();
    liar.request(4, { type: 'ping', id: liar.id });
    h.settle();
    answerRequests(h, liar);
    const got = h.node.get(sha1('anything'));
    h.settle();
    for (const r of liar.take()) {
      if (r.msg.kind === 'request' && r.msg.request.type === 'get') {
        liar.send(4, { tid: r.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: liar.id, seenAddress: '10.0.0.1' } });
      }
    }
    h.settle(100);
    assert.deepEqual(await got, []);
    assert.equal(h.node.status().blacklisted, 1);
    const tid = liar.request(4, { type: 'ping', id: liar.id });
    h.settle();
    assert.equal(liar.take().filter((r) => r.msg.tid === tid).length, 0);
    await h.stop();
  });
});

describe('tokens', () => {
  it('stay valid across one secret rotation (≥ 15 min) and expire after two (≤ 90 min)', async () => {
    const h = await createHarness({ rateLimit: null });
    const p = await h.probe();
    const key = sha1('tok');
    const token = tokenFor(h, p);
    const put = (id: bigint): number =>
      p.request(4, { type: 'put', id: p.id, key, values: { kind: 'inline', values: [makeValue({ id, body: { type: 0, data: text('x') } })] }, token });
    h.settle(14 * 60_000);
    p.take();
    let tid = put(1n);
    h.settle();
    assert.equal(replyBody(replyOf(p.take(), tid)).valueId, 1n);
    h.settle(80 * 60_000);
    p.take();
    tid = put(2n);
    h.settle();
    assert.equal(errorOf(p.take(), tid).code, 401);
    await h.stop();
  });
});

describe('listener notifications in batches', () => {
  it('splits the values due to a new listener into update requests of at most 56 KiB', async () => {
    const h = await createHarness({ rateLimit: null });
    const p = await h.probe();
    const key = sha1('many big values');
    for (let i = 1; i <= 30; i++) {
      void h.node.put(key, makeValue({ id: BigInt(i), body: { type: 0, data: new Uint8Array(3000).fill(i) } }));
    }
    h.settle();
    assert.equal(h.node.status().storage.values, 30);
    const token = tokenFor(h, p);
    p.request(4, { type: 'listen', id: p.id, key, socketId: 9, version: 1, token });
    h.settle(50);
    const headers = p.take().filter((r) => r.msg.kind === 'request' && r.msg.request.type === 'update');
    assert.ok(headers.length >= 2, `${headers.length} update requests`);
    let total = 0;
    for (const r of headers) {
      if (r.msg.kind !== 'request' || r.msg.request.type !== 'update') continue;
      const list = r.msg.request.values;
      assert.equal(list?.kind, 'fragmented');
      if (list?.kind !== 'fragmented') continue;
      assert.ok(list.sizes.reduce((a, b) => a + b, 0) <= 56 * 1024);
      total += list.sizes.length;
    }
    assert.equal(total, 30);
    await h.stop();
  });
});

describe('listeners that never acknowledge', () => {
  it('cannot fill the transaction table: our own requests and updates to other listeners still go out', async () => {
    const h = await createHarness({ rateLimit: null, maxTransactions: 1024 });
    const silent = await h.probe();
    const stoken = tokenFor(h, silent);
    const honest = await h.probe();
    const htoken = tokenFor(h, honest);
    const keys = Array.from({ length: 16 }, (_, i) => sha1(`hog ${i}`));
    honest.request(4, { type: 'listen', id: honest.id, key: keys[0]!, socketId: 1, version: 1, token: htoken });
    // One address, one token, 16 subscriptions (sids) on each of 16 keys: each put costs 16
    // updates that stay in flight for ~7 s when nobody answers them.
    let sid = 1;
    for (const key of keys) for (let i = 0; i < 16; i++) silent.request(4, { type: 'listen', id: silent.id, key, socketId: sid++, version: 1, token: stoken });
    h.settle();
    silent.take();
    honest.take();
    for (let i = 1; i <= 8; i++) {
      for (const key of keys) {
        const value = makeValue({ id: BigInt(i), body: { type: 0, data: text(`v${i}`) } });
        silent.request(4, { type: 'put', id: silent.id, key, values: { kind: 'inline', values: [value] }, token: stoken });
      }
    }
    h.settle();
    assert.ok(h.node.status().transactions < 1024, `${h.node.status().transactions} transactions open`);
    assert.ok(h.node.status().counters.dropped.updatesThrottled > 0);
    // The honest listener got every update.
    const got = honest.take().filter((r) => r.msg.kind === 'request' && r.msg.request.type === 'update');
    assert.equal(got.length, 8);
    // And the node can still ask somebody something.
    const other = await h.probe();
    const pong = h.node.ping(4, other.address4, other.port);
    h.settle();
    const req = other.take().find((r) => r.msg.kind === 'request');
    assert.ok(req, 'ping sent');
    other.send(4, { tid: req.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: other.id, seenAddress: h.nodeAddress[4] } });
    h.settle();
    assert.equal(hex((await pong)!), hex(other.id));
    await h.stop();
  });
});

describe('fragmented requests', () => {
  it('one address announcing many fragmented puts it never completes does not block the others', async () => {
    const h = await createHarness({ rateLimit: null });
    const hog = await h.probe();
    const htoken = tokenFor(h, hog);
    const key = sha1('signed values are fragmented');
    // Headers alone, many tids and a few ports of one address: each reserves a reassembly context.
    for (let port = 0; port < 4; port++) {
      const from = port === 0 ? hog : await h.probe({ address4: hog.address4, address6: `fd00:3::${port}`, port: 7000 + port });
      const token = port === 0 ? htoken : tokenFor(h, from);
      for (let tid = 1; tid <= 100; tid++) {
        from.send(4, {
          tid,
          networkId: 0,
          client: false,
          userAgent: 'o2',
          kind: 'request',
          request: { type: 'put', id: from.id, key, values: { kind: 'fragmented', sizes: [3000] }, token },
        });
      }
    }
    h.settle();
    const p = await h.probe();
    const token = tokenFor(h, p);
    const big = makeValue({ id: 21n, body: { type: 0, data: new Uint8Array(2000).fill(2) } });
    const tid = 777;
    p.send(4, {
      tid,
      networkId: 0,
      client: false,
      userAgent: 'o2',
      kind: 'request',
      request: { type: 'put', id: p.id, key, values: { kind: 'fragmented', sizes: [big.packed.length] }, token },
    });
    for (let offset = 0; offset < big.packed.length; offset += 1280) {
      p.send(4, { tid, networkId: 0, client: false, kind: 'value-part', parts: [{ index: 0, offset, data: big.packed.subarray(offset, offset + 1280) }] });
    }
    h.settle();
    assert.equal(replyBody(replyOf(p.take(), tid)).valueId, 21n);
    await h.stop();
  });
});

describe('node records in replies', () => {
  it('rewrites loopback records to the sender address, skips martians and our own id', async () => {
    const h = await createHarness({ rateLimit: null });
    const p = await h.probe();
    // A second endpoint on the probe's address: where a rewritten "127.0.0.1:6000" record leads.
    const relayed = await h.probe({ address4: p.address4, address6: 'fd00:3::1', port: 6000 });
    p.request(4, { type: 'ping', id: p.id });
    h.settle();
    answerRequests(h, p);
    const got = h.node.get(sha1('records'));
    h.settle();
    const req = p.take().find((r) => r.msg.kind === 'request' && r.msg.request.type === 'get')!;
    const far = (b: number): Uint8Array => new Uint8Array(20).fill(b);
    p.send(4, {
      tid: req.msg.tid,
      networkId: 0,
      client: false,
      userAgent: 'o2',
      kind: 'reply',
      reply: {
        id: p.id,
        seenAddress: h.nodeAddress[4],
        token: new Uint8Array(32),
        nodes4: [
          { id: relayed.id, address: '127.0.0.1', port: 6000 },
          { id: far(0x11), address: '0.1.2.3', port: 4222 },
          { id: far(0x22), address: '224.0.0.9', port: 4222 },
          { id: h.node.id, address: '10.0.0.1', port: 4222 },
        ],
      },
    });
    h.settle();
    const asked = relayed.take().filter((r) => r.msg.kind === 'request');
    assert.ok(asked.length >= 1, 'the relayed node was contacted at the sender address');
    h.settle(15_000);
    await got;
    // Only the probe and the relayed node were ever contacted.
    assert.equal(h.node.status().nodes[4].total, 2);
    await h.stop();
  });
});
