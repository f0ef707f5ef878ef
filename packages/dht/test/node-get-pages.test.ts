/**
 * Gets and the size of what they make a node send: our own get is paginated like OpenDHT's
 * (SELECT id, seq, then WHERE id = x per value), and replies to gets are capped so that one
 * (spoofable, tokenless) get cannot make the node send megabytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeValue, sha1 } from '../src/codec/index.js';
import type { Query, Reply, Request, Value } from '../src/codec/types.js';
import { createHarness, type Harness, type Probe, type Received, replyBody, replyOf } from './rpc-harness.js';
import { createTestnet, type Testnet } from './testnet.js';

const bytesOf = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);

/** A token for `probe` (from a get reply), needed to put. */
function tokenFor(h: Harness, probe: Probe): Uint8Array {
  const tid = probe.request(4, { type: 'get', id: probe.id, key: sha1('token-key') });
  h.settle();
  const token = replyBody(replyOf(probe.take(), tid)).token;
  assert.ok(token);
  return token;
}

/** Put values on the node under test from `probe` (one put per value, as OpenDHT does). */
function putAll(h: Harness, probe: Probe, key: Uint8Array, values: Value[]): void {
  const token = tokenFor(h, probe);
  for (const v of values) {
    probe.request(4, { type: 'put', id: probe.id, key, values: { kind: 'inline', values: [v] }, token });
    h.settle(1);
  }
  h.settle();
  probe.take();
}

/** Every datagram the node sent for one transaction (reply header plus value parts). */
function datagramsOf(batch: Received[], tid: number): Received[] {
  return batch.filter((r) => r.msg.tid === tid);
}

function getRequestsIn(batch: Received[]): Array<Received & { request: Request & { type: 'get' } }> {
  const out: Array<Received & { request: Request & { type: 'get' } }> = [];
  for (const r of batch) {
    if (r.msg.kind === 'request' && r.msg.request.type === 'get') out.push({ ...r, request: r.msg.request });
  }
  return out;
}

function reply(probe: Probe, to: Received, body: Partial<Reply>): void {
  probe.send(to.family, {
    tid: to.msg.tid,
    networkId: 0,
    client: false,
    userAgent: 'o2',
    kind: 'reply',
    reply: { id: probe.id, seenAddress: to.address, token: new Uint8Array(32).fill(7), ...body },
  });
}

describe('get replies are capped', () => {
  let h: Harness;
  let p: Probe;
  const key = sha1('crowded key');
  // 200 values of ~430 packed bytes: about 86 KB in all, more than the 64 KiB cap.
  const values = Array.from({ length: 200 }, (_, i) => makeValue({ id: BigInt(i + 1), body: { type: 0, data: bytesOf(420, i) } }));
  const total = values.reduce((n, v) => n + v.packed.length, 0);

  before(async () => {
    h = await createHarness({ rateLimit: null });
    p = await h.probe();
    putAll(h, p, key, values);
    assert.equal(h.node.status().storage.values, 200);
  });
  after(async () => h.stop());

  it('a plain get of a key with 86 KB of values gets at most 64 KiB of them, and the truncation is counted', () => {
    assert.ok(total > 65_536, `total ${total}`);
    const before = h.node.status().counters.getRepliesTruncated;
    const tid = p.request(4, { type: 'get', id: p.id, key });
    h.settle();
    const sent = datagramsOf(p.take(), tid);
    const head = replyBody(sent[0]!);
    assert.equal(head.values?.kind, 'fragmented');
    const sizes = head.values?.kind === 'fragmented' ? head.values.sizes : [];
    const carried = sizes.reduce((n, s) => n + s, 0);
    assert.ok(carried <= 65_536 && carried > 60_000, `carried ${carried} bytes of values`);
    assert.ok(sizes.length < 200 && sizes.length >= 140, `${sizes.length} values`);
    const onWire = sent.reduce((n, r) => n + r.bytes.length, 0);
    assert.ok(onWire < 65_536 + 8192, `${onWire} bytes sent for one get`);
    assert.equal(h.node.status().counters.getRepliesTruncated, before + 1);
  });

  it('a WHERE id get still gets its value, and is not counted as truncated', () => {
    const before = h.node.status().counters.getRepliesTruncated;
    const tid = p.request(4, { type: 'get', id: p.id, key, query: { select: [], where: [{ field: 1, value: 150n }] } });
    h.settle();
    const body = replyBody(replyOf(p.take(), tid));
    assert.deepEqual(body.values?.kind === 'inline' && body.values.values.map((v) => v.id), [150n]);
    assert.equal(h.node.status().counters.getRepliesTruncated, before);
  });

  it('SELECT id lists every id of the key (200 rows are under the row cap)', () => {
    const tid = p.request(4, { type: 'get', id: p.id, key, query: { select: [1], where: [] } });
    h.settle();
    const body = replyBody(replyOf(p.take(), tid));
    assert.deepEqual(
      [...(body.fields?.values ?? [])].sort((a, b) => Number(a) - Number(b)),
      values.map((v) => v.id),
    );
  });

  it('one value larger than the cap is still sent whole', async () => {
    const h2 = await createHarness({ rateLimit: null, maxGetReplyBytes: 4096 });
    const q = await h2.probe();
    const bigKey = sha1('one big value');
    const big = makeValue({ id: 5n, body: { type: 0, data: bytesOf(12_000, 1) } });
    const sizesOfGet = (): number[] => {
      const tid = q.request(4, { type: 'get', id: q.id, key: bigKey });
      h2.settle();
      const batch = datagramsOf(q.take(), tid);
      const head = replyBody(batch[0]!);
      return head.values?.kind === 'fragmented' ? head.values.sizes : [];
    };
    putAll(h2, q, bigKey, [big]);
    assert.deepEqual(sizesOfGet(), [big.packed.length]);
    assert.equal(h2.node.status().counters.getRepliesTruncated, 0);
    // With a second value, one of the two goes (whichever comes first), not both.
    putAll(h2, q, bigKey, [makeValue({ id: 6n, body: { type: 0, data: bytesOf(100, 2) } })]);
    assert.equal(sizesOfGet().length, 1);
    assert.equal(h2.node.status().counters.getRepliesTruncated, 1);
    await h2.stop();
  });

  it('a SELECT reply lists at most maxSelectRows rows, counted', async () => {
    const h2 = await createHarness({ rateLimit: null, maxSelectRows: 50 });
    const q = await h2.probe();
    putAll(h2, q, key, values.slice(0, 120));
    const tid = q.request(4, { type: 'get', id: q.id, key, query: { select: [1, 4], where: [] } });
    h2.settle();
    const body = replyBody(replyOf(q.take(), tid));
    assert.deepEqual(body.fields?.fields, [1, 4]);
    assert.equal(body.fields?.values.length, 100);
    assert.equal(h2.node.status().counters.selectRepliesTruncated, 1);
    assert.equal(h2.node.status().counters.getRepliesTruncated, 0);
    await h2.stop();
  });

  it('a SELECT of big fields stays within one 16 KiB datagram', async () => {
    const h2 = await createHarness({ rateLimit: null });
    const q = await h2.probe();
    const utKey = sha1('long user types');
    const long = Array.from({ length: 60 }, (_, i) => makeValue({ id: BigInt(i + 1), body: { type: 0, data: bytesOf(10, i), userType: 'x'.repeat(400) } }));
    putAll(h2, q, utKey, long);
    const tid = q.request(4, { type: 'get', id: q.id, key: utKey, query: { select: [1, 5], where: [] } });
    h2.settle();
    const r = replyOf(q.take(), tid);
    const rows = (replyBody(r).fields?.values.length ?? 0) / 2;
    assert.ok(rows >= 20 && rows < 60, `${rows} rows`);
    assert.ok(r.bytes.length < 16_384, `${r.bytes.length} bytes`);
    assert.equal(h2.node.status().counters.selectRepliesTruncated, 1);
    await h2.stop();
  });
});

describe("our node's get is paginated", () => {
  /** A harness whose node knows the given probes as good nodes. */
  async function withProbes(count: number, options: { maxGetIds?: number } = {}): Promise<{ h: Harness; probes: Probe[] }> {
    const h = await createHarness({ rateLimit: null, ...options });
    const probes: Probe[] = [];
    for (let i = 0; i < count; i++) {
      const probe = await h.probe();
      probe.request(4, { type: 'ping', id: probe.id });
      probes.push(probe);
    }
    h.settle();
    for (const probe of probes) {
      for (const r of probe.take()) if (r.msg.kind === 'request') reply(probe, r, {});
    }
    h.settle();
    return { h, probes };
  }

  const key = sha1('paged');
  const stored = (id: bigint, seq?: number): Value =>
    makeValue({ id, body: { type: 0, data: bytesOf(50, Number(id)), ...(seq !== undefined ? { seq } : {}) } });

  it('sends SELECT id, seq with the WHERE filters, then WHERE id = x per listed id, and returns the values', async () => {
    const { h, probes } = await withProbes(1);
    const [p] = probes as [Probe];
    const where: Query['where'] = [{ field: 2, value: 0 }];
    const got = h.node.get(key, { query: { select: [], where } });
    h.settle();
    const selects = getRequestsIn(p.take());
    assert.equal(selects.length, 1);
    assert.deepEqual(selects[0]!.request.query, { select: [1, 4], where });
    reply(p, selects[0]!, { fields: { fields: [1, 4], values: [11n, 0, 12n, 0, 13n, 0] } });
    h.settle();
    const fetches = getRequestsIn(p.take());
    assert.deepEqual(
      fetches.map((f) => f.request.query),
      [11n, 12n, 13n].map((id) => ({ select: [], where: [{ field: 1, value: id }] })),
    );
    for (const f of fetches) {
      const id = f.request.query!.where[0]!.value as bigint;
      // A node sending more than asked for: only the requested id is taken.
      reply(p, f, { values: { kind: 'inline', values: [stored(id), stored(id + 100n)] } });
    }
    h.settle(100);
    assert.deepEqual((await got).map((v) => v.id).sort(), [11n, 12n, 13n]);
    await h.stop();
  });

  it('accepts an old-style answer (values instead of fileds) without further requests', async () => {
    const { h, probes } = await withProbes(1);
    const [p] = probes as [Probe];
    const got = h.node.get(key);
    h.settle();
    const [select] = getRequestsIn(p.take());
    reply(p, select!, { values: { kind: 'inline', values: [stored(21n), stored(22n)] } });
    h.settle(100);
    assert.deepEqual((await got).map((v) => v.id).sort(), [21n, 22n]);
    assert.equal(getRequestsIn(p.take()).length, 0);
    await h.stop();
  });

  it('fetches an id listed by two nodes once, from the other node when the first fails, and a higher seq again', async () => {
    const { h, probes } = await withProbes(2);
    const [a, b] = probes as [Probe, Probe];
    const got = h.node.get(key);
    h.settle();
    const selA = getRequestsIn(a.take())[0]!;
    const selB = getRequestsIn(b.take())[0]!;
    reply(a, selA, { fields: { fields: [1, 4], values: [31n, 0, 32n, 0, 33n, 1] } });
    h.settle();
    reply(b, selB, { fields: { fields: [1, 4], values: [31n, 0, 32n, 0, 33n, 2] } });
    h.settle();
    const fromA = getRequestsIn(a.take());
    assert.deepEqual(
      fromA.map((f) => f.request.query!.where[0]!.value),
      [31n, 32n, 33n],
    );
    // 31: answered; 32: a has lost it (empty answer); 33: a has seq 1.
    reply(a, fromA[0]!, { values: { kind: 'inline', values: [stored(31n)] } });
    reply(a, fromA[1]!, {});
    reply(a, fromA[2]!, { values: { kind: 'inline', values: [stored(33n, 1)] } });
    h.settle();
    const fromB = getRequestsIn(b.take());
    // b is asked for 33 (it listed seq 2) and for 32 (a could not give it), never for 31.
    assert.deepEqual(fromB.map((f) => f.request.query!.where[0]!.value).sort(), [32n, 33n]);
    for (const f of fromB) {
      const id = f.request.query!.where[0]!.value as bigint;
      reply(b, f, { values: { kind: 'inline', values: [id === 33n ? stored(33n, 2) : stored(id)] } });
    }
    h.settle(100);
    const values = await got;
    assert.deepEqual(values.map((v) => v.id).sort(), [31n, 32n, 33n]);
    assert.equal(values.find((v) => v.id === 33n)?.body?.seq, 2);
    await h.stop();
  });

  it('skips ids held locally and fetches at most maxGetIds ids, 8 at a time', async () => {
    const { h, probes } = await withProbes(1, { maxGetIds: 20 });
    const [p] = probes as [Probe];
    const put = h.node.put(key, stored(1n));
    for (let round = 0; round < 5; round++) {
      h.settle();
      for (const r of p.take()) if (r.msg.kind === 'request') reply(p, r, {});
    }
    await put;
    const got = h.node.get(key);
    h.settle();
    const [select] = getRequestsIn(p.take());
    const ids = Array.from({ length: 40 }, (_, i) => BigInt(i + 1));
    reply(p, select!, { fields: { fields: [1, 4], values: ids.flatMap((id) => [id, 0]) } });
    const asked: bigint[] = [];
    for (let round = 0; round < 10; round++) {
      h.settle();
      const fetches = getRequestsIn(p.take());
      assert.ok(fetches.length <= 8, `${fetches.length} fetches in flight`);
      for (const f of fetches) {
        const id = f.request.query!.where[0]!.value as bigint;
        asked.push(id);
        reply(p, f, { values: { kind: 'inline', values: [stored(id)] } });
      }
    }
    h.settle(100);
    assert.deepEqual(asked, ids.slice(1, 21));
    assert.equal((await got).length, 21);
    await h.stop();
  });
});

describe('paginated get between our nodes', () => {
  let net: Testnet;
  before(async () => {
    net = await createTestnet({ size: 12, seed: 'pages' });
    await net.advance(120_000);
  });
  after(async () => net.stop());

  it('gets all 200 values (86 KB) of a key from nodes that cap plain get replies at 64 KiB', async () => {
    const key = sha1('two hundred values');
    const values = Array.from({ length: 200 }, (_, i) => makeValue({ id: BigInt(1000 + i), body: { type: 0, data: bytesOf(420, i) } }));
    for (let i = 0; i < values.length; i += 20) {
      const puts = values.slice(i, i + 20).map((v) => net.nodes[1]!.put(key, v));
      await net.advance(5000);
      for (const put of puts) assert.ok((await put).acks >= 4);
    }
    // A node that joins now holds nothing for the key: everything comes from the others.
    const reader = await net.addNode();
    await net.advance(60_000);
    const got = reader.get(key, { timeoutMs: 30_000 });
    await net.advance(30_000);
    const result = await got;
    assert.equal(result.length, 200);
    assert.deepEqual(
      result.map((v) => v.id).sort((a, b) => Number(a - b)),
      values.map((v) => v.id),
    );
    for (const v of result) assert.deepEqual(v.packed, values[Number(v.id) - 1000]!.packed);
    // Only one value per reply was ever needed.
    for (const node of net.nodes) {
      assert.equal(node.status().counters.getRepliesTruncated, 0);
      assert.equal(node.status().counters.selectRepliesTruncated, 0);
    }
  });
});
