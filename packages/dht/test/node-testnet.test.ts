import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeValue, sha1 } from '../src/codec/index.js';
import type { Value } from '../src/index.js';
import { createTestnet, type Testnet } from './testnet.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function storedCount(net: Testnet): number {
  let n = 0;
  for (const node of net.nodes) n += node.status().storage.values;
  return n;
}

describe('in-memory testnet of 24 nodes', () => {
  let net: Testnet;
  before(async () => {
    net = await createTestnet({ size: 24 });
    await net.advance(120_000);
  });
  after(async () => net.stop());

  it('bootstraps from one node and converges on both families', () => {
    for (const node of net.nodes) {
      const s = node.status();
      assert.equal(s.bootstrapping, false, `${s.id} still bootstrapping`);
      assert.ok(s.nodes[4].good >= 8, `${s.id} knows ${s.nodes[4].good} good IPv4 nodes`);
      assert.ok(s.nodes[6].good >= 8, `${s.id} knows ${s.nodes[6].good} good IPv6 nodes`);
      assert.ok(s.nodes[4].buckets > 1, 'buckets split');
    }
  });

  it('find returns the closest nodes to a target', async () => {
    const target = sha1('some target');
    const p = net.nodes[2]!.find(target);
    await net.advance(10_000);
    const found = await p;
    const ids = net.nodes.map((n) => n.id).filter((id) => Buffer.compare(id, net.nodes[2]!.id) !== 0);
    const xor = (id: Uint8Array): Buffer => Buffer.from(id.map((b, i) => b ^ target[i]!));
    ids.sort((a, b) => Buffer.compare(xor(a), xor(b)));
    const best4 = found.filter((n) => n.family === 4).map((n) => Buffer.from(n.id).toString('hex'));
    assert.equal(best4.length, 8);
    assert.deepEqual(
      best4,
      ids.slice(0, 8).map((id) => Buffer.from(id).toString('hex')),
    );
  });

  it('a value put on one node is found from another, stored on the closest nodes', async () => {
    const key = sha1('hello');
    const before = storedCount(net);
    const value = makeValue({ id: 42n, body: { type: 0, data: text('world') } });
    const put = net.nodes[3]!.put(key, value);
    await net.advance(10_000);
    const { acks } = await put;
    assert.ok(acks >= 8, `acks ${acks}`);
    // 8 closest per family (some nodes are both) plus the putter's own copy.
    assert.ok(storedCount(net) - before >= 9);
    const get = net.nodes[17]!.get(key);
    await net.advance(10_000);
    const values = await get;
    assert.equal(values.length, 1);
    assert.equal(values[0]!.id, 42n);
    assert.deepEqual(values[0]!.body?.data, text('world'));
  });

  it('carries a 3000-byte value through value parts', async () => {
    const key = sha1('bigkey');
    const data = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
    const value = makeValue({ id: 7n, body: { type: 0, data, userType: 'application/octet-stream' } });
    assert.ok(value.packed.length > 1280 * 2);
    const put = net.nodes[5]!.put(key, value);
    await net.advance(10_000);
    assert.ok((await put).acks >= 8);
    const get = net.nodes[11]!.get(key);
    await net.advance(10_000);
    const values = await get;
    assert.equal(values.length, 1);
    assert.deepEqual(values[0]!.packed, value.packed);
    const completed = net.nodes.reduce((n, node) => n + node.status().counters.reassembly.completed, 0);
    assert.ok(completed >= 16, `reassembled ${completed}`);
  });

  it('get with a WHERE query returns only matching values', async () => {
    const key = sha1('multi');
    for (const id of [1n, 2n, 3n]) {
      void net.nodes[4]!.put(key, makeValue({ id, body: { type: 0, data: text(`v${id}`) } }));
    }
    await net.advance(10_000);
    const get = net.nodes[20]!.get(key, { query: { select: [], where: [{ field: 1, value: 2n }] } });
    await net.advance(10_000);
    const values = await get;
    assert.deepEqual(
      values.map((v) => v.id),
      [2n],
    );
    const all = net.nodes[21]!.get(key);
    await net.advance(10_000);
    assert.deepEqual((await all).map((v) => v.id).sort(), [1n, 2n, 3n]);
  });

  it('listeners hear new values, and expiry after the type lifetime', async () => {
    const key = sha1('listenkey');
    const events: Array<{ values: Value[]; expired: boolean }> = [];
    const cancel = net.nodes[8]!.listen(key, (values, expired) => events.push({ values, expired }));
    await net.advance(10_000);
    const storers = net.nodes.reduce((n, node) => n + node.status().storage.listeners, 0);
    assert.ok(storers >= 4, `listeners registered on ${storers} nodes`);
    void net.nodes[9]!.put(key, makeValue({ id: 99n, body: { type: 5, data: text('ice') } }));
    await net.advance(5_000);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.expired, false);
    assert.equal(events[0]!.values[0]!.id, 99n);
    // Type 5 lives one minute; listens are refreshed every 20 s meanwhile.
    await net.advance(70_000);
    assert.equal(events.length, 2);
    assert.equal(events[1]!.expired, true);
    assert.equal(events[1]!.values[0]!.id, 99n);
    cancel();
    assert.equal(net.nodes[8]!.status().listens, 0);
  });

  it('a listener also hears a value given to it after the listen started elsewhere (large value via update)', async () => {
    const key = sha1('listen-big');
    const got: Value[] = [];
    const cancel = net.nodes[12]!.listen(key, (values, expired) => {
      if (!expired) got.push(...values);
    });
    await net.advance(10_000);
    const big = makeValue({ id: 5n, body: { type: 0, data: new Uint8Array(2000).fill(3) } });
    void net.nodes[13]!.put(key, big);
    await net.advance(5_000);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.packed, big.packed);
    cancel();
  });

  it('permanent puts are re-announced and outlive the type lifetime; plain ones expire', async () => {
    const key = sha1('permkey');
    const plainKey = sha1('plainkey');
    void net.nodes[6]!.put(key, makeValue({ id: 1n, body: { type: 0, data: text('perm') } }), { permanent: true });
    void net.nodes[6]!.put(plainKey, makeValue({ id: 2n, body: { type: 0, data: text('plain') } }));
    await net.advance(25 * 60_000);
    const get = net.nodes[14]!.get(key);
    const getPlain = net.nodes[14]!.get(plainKey);
    await net.advance(10_000);
    assert.deepEqual(
      (await get).map((v) => v.id),
      [1n],
    );
    assert.deepEqual(await getPlain, []);
    net.nodes[6]!.cancelPut(key, 1n);
  });

  it('keeps routing tables alive through maintenance while idle (3 h: past the 2 h reply window)', async () => {
    const findsBefore = net.nodes.reduce((n, node) => n + (node.status().counters.requestsIn.find ?? 0), 0);
    await net.clock.advanceAsync(3 * 60 * 60_000, 500);
    const findsAfter = net.nodes.reduce((n, node) => n + (node.status().counters.requestsIn.find ?? 0), 0);
    assert.ok(findsAfter > findsBefore, 'maintenance finds were sent');
    for (const node of net.nodes) {
      const s = node.status();
      assert.ok(s.nodes[4].good >= 8, `${s.id}: ${s.nodes[4].good} good after idle time`);
    }
    // No timer per request: each node keeps its tick and at most one wake-up task.
    assert.ok(net.clock.pending() <= net.nodes.length * 2 + 50, `${net.clock.pending()} scheduled tasks`);
  });

  it('notices departed nodes and still serves gets', async () => {
    const key = sha1('survivor');
    void net.nodes[1]!.put(key, makeValue({ id: 3n, body: { type: 0, data: text('still here') } }));
    await net.advance(10_000);
    for (const node of net.nodes.slice(18)) await node.stop();
    // Within 30 min every survivor has found out: departed nodes are expired and swept.
    await net.clock.advanceAsync(30 * 60_000, 500);
    for (const node of net.nodes.slice(0, 18)) {
      const s = node.status();
      // 17 other survivors at most: none of the 6 departed.
      assert.ok(s.nodes[4].total <= 17, `${s.id} still lists ${s.nodes[4].total} nodes`);
    }
    const s = net.nodes[0]!.status();
    assert.ok(s.counters.timeouts > 0);
    const get = net.nodes[2]!.get(key);
    await net.advance(20_000);
    // The plain value expired after 10 min; the lookup itself must complete despite dead nodes.
    assert.deepEqual(await get, []);
  });
});

describe('lossy in-memory network', () => {
  let net: Testnet;
  after(async () => net?.stop());

  it('still converges and stores with 10% datagram loss (retransmissions)', async () => {
    net = await createTestnet({ size: 20, lossRate: 0.1, seed: 'lossy' });
    await net.advance(180_000);
    for (const node of net.nodes) assert.ok(node.status().nodes[4].good >= 8);
    const key = sha1('lossy');
    void net.nodes[3]!.put(key, makeValue({ id: 11n, body: { type: 0, data: text('x') } }));
    await net.advance(20_000);
    const get = net.nodes[15]!.get(key);
    await net.advance(20_000);
    assert.deepEqual(
      (await get).map((v) => v.id),
      [11n],
    );
    const retransmissions = net.nodes.reduce((n, node) => n + node.status().counters.retransmissions, 0);
    assert.ok(retransmissions > 0);
  });
});
