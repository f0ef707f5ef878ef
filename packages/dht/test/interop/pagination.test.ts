/**
 * Paginated gets (SELECT id, then WHERE id = x per value) between our node and real OpenDHT
 * 2.4.12 nodes, on a key holding 150 values (about 72 KB, more than our 64 KiB cap on plain get
 * replies): our get fetches them from a real dhtnode, and a real node's get fetches them from our
 * node even when our cap on plain get replies is set tiny.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeValue } from '../../src/codec/index.js';
import { eventually, startDhtnode, startPyNode, stopAll } from './harness.js';
import { type OurNode, hexKey, randomKeyHex, randomValueId, startOurNode } from './our-node.js';

const COUNT = 150;
const SIZE = 450;

/** The payload the python driver's put_many gives value number i. */
const payload = (i: number): Buffer => Buffer.from(Array.from({ length: SIZE }, (_, j) => (i * 7 + j) & 0xff));

describe('paginated gets of 150 values with real nodes', { timeout: 90_000 }, () => {
  const ours: OurNode[] = [];

  after(async () => {
    await stopAll();
    for (const o of ours) await o.stop();
  });

  it('our get fetches every value from a real dhtnode (the only node holding them)', { timeout: 60_000 }, async () => {
    const putter = await startPyNode();
    const dhtnode = await startDhtnode({ bootstrap: `127.0.0.1:${putter.port}` });
    await eventually(async () => ((await putter.routingLog(4)).includes(dhtnode.nodeId) ? true : undefined), 15_000, 'putter knows dhtnode');
    const key = randomKeyHex();
    const firstId = randomValueId() >> 1n;
    const { stored } = await putter.call<{ stored: number }>('put_many', { key, firstId: firstId.toString(), count: COUNT, size: SIZE, timeout: 20 }, 25_000);
    assert.equal(stored, COUNT);
    // Only dhtnode keeps the values now.
    await putter.kill();

    const node = await startOurNode({ bootstrap: [`127.0.0.1:${dhtnode.port}`] });
    ours.push(node);
    await eventually(() => (node.node.status().nodes[4].good >= 1 ? true : undefined), 15_000, 'our node knows dhtnode');
    const values = await node.node.get(hexKey(key), { timeoutMs: 20_000 });
    assert.ok(values.length >= 100, `${values.length} values`);
    assert.equal(values.length, COUNT);
    for (const v of values) {
      const i = Number(v.id - firstId);
      assert.ok(i >= 0 && i < COUNT, `id ${v.id}`);
      assert.deepEqual(Buffer.from(v.body?.data ?? []), payload(i));
    }
  });

  it("a real node's get fetches every value from our node, whose plain get replies are capped at 2 KiB", { timeout: 60_000 }, async () => {
    const node = await startOurNode({ maxGetReplyBytes: 2048 });
    ours.push(node);
    const key = randomKeyHex();
    const firstId = randomValueId() >> 1n;
    // Alone, our node keeps its own puts: the values exist only there.
    for (let i = 0; i < COUNT; i++) {
      await node.node.put(hexKey(key), makeValue({ id: firstId + BigInt(i), body: { type: 0, data: payload(i) } }));
    }
    assert.equal(node.node.status().storage.values, COUNT);
    const reader = await startPyNode({ bootstrap: node.bootstrap });
    const got = await eventually(
      async () => {
        const r = await reader.get(key, 10);
        return r.values.length > 0 ? r : undefined;
      },
      20_000,
      'python get returns values',
      500,
    );
    assert.equal(got.values.length, COUNT);
    for (const v of got.values) assert.equal(v.data, payload(Number(BigInt(v.id) - firstId)).toString('hex'));
    const counters = node.node.status().counters;
    assert.equal(counters.getRepliesTruncated, 0, 'OpenDHT never sent a plain get');
    assert.equal(counters.selectRepliesTruncated, 0);
  });
});
