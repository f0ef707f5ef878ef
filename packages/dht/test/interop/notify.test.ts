/**
 * Our node notifies real listeners: a python3-opendht node and a dhtnode CLI listen on a key
 * through our node; values are then put on our node ALONE (a hand-driven client sends the put to
 * our node only), so the only way the listeners learn of them is our node's `update` requests —
 * inline for a small value, as value parts for a 3000-byte one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeValue } from '../../src/codec/index.js';
import { type Dhtnode, type PyNode, eventually, startDhtnode, startPyNode, stopAll } from './harness.js';
import { type OurNode, hexKey, randomKeyHex, randomValueId, startOurNode } from './our-node.js';
import { RawClient } from './raw-client.js';

describe('our node pushes values to real listeners', { timeout: 60_000 }, () => {
  let ours: OurNode;
  let py: PyNode;
  let cli: Dhtnode;
  let raw: RawClient;

  before(async () => {
    ours = await startOurNode();
    py = await startPyNode({ bootstrap: ours.bootstrap });
    cli = await startDhtnode({ bootstrap: `127.0.0.1:${ours.port}` });
    raw = await RawClient.open('127.0.0.1', ours.port);
  });

  after(async () => {
    raw?.close();
    await stopAll();
    await ours?.stop();
  });

  it('small and 3000-byte values put on our node reach both listeners', { timeout: 40_000 }, async () => {
    const key = randomKeyHex();
    const listenersBefore = ours.node.status().storage.listeners;
    await py.listen(key, 'n');
    await cli.command(`l ${key}`, /^Listening, token/, 15_000);
    await eventually(
      () => (ours.node.status().storage.listeners >= listenersBefore + 2 ? true : undefined),
      15_000,
      'both real listeners subscribed on our node',
    );

    const small = makeValue({ id: randomValueId(), body: { type: 0, data: Buffer.from('notified'), userType: 'text/plain' } });
    const big = makeValue({ id: randomValueId(), body: { type: 0, data: Buffer.alloc(3000, 0x77) } });
    for (const v of [small, big]) {
      const reply = await raw.put(hexKey(key), v);
      assert.equal(reply.valueId, v.id);
    }

    const e1 = await py.waitEvent((e) => e.tag === 'n' && e.value.id === small.id.toString(), 15_000, 'python sees the small value');
    assert.equal(Buffer.from(e1.value.data, 'hex').toString(), 'notified');
    const e2 = await py.waitEvent((e) => e.tag === 'n' && e.value.id === big.id.toString(), 15_000, 'python sees the 3000-byte value');
    assert.equal(e2.value.data, Buffer.alloc(3000, 0x77).toString('hex'));

    await cli.waitLine(new RegExp(`Value\\[id:${small.id.toString(16)} .*"notified"`), 15_000, 'dhtnode prints the small value');
    await cli.waitLine(new RegExp(`Value\\[id:${big.id.toString(16)} data:3000 bytes`), 15_000, 'dhtnode prints the 3000-byte value');
  });
});
