/**
 * (c) A value a real node stored on our node stays available from our node after its putter
 * is gone: the putter (the only other node) is killed, then a new real node that knows only our
 * node gets the value.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startPyNode, stopAll } from './harness.js';
import { type OurNode, findValue, hexKey, randomKeyHex, randomValueId, startOurNode } from './our-node.js';

describe('values outlive their real putter on our node', { timeout: 60_000 }, () => {
  let ours: OurNode;

  before(async () => {
    ours = await startOurNode();
  });

  after(async () => {
    await stopAll();
    await ours?.stop();
  });

  it('small and fragmented values put by a killed real node are served to a newcomer', { timeout: 45_000 }, async () => {
    const key = randomKeyHex();
    const small = randomValueId();
    const big = randomValueId();
    const bigHex = Buffer.alloc(3000, 0xa5).toString('hex');

    const putter = await startPyNode({ bootstrap: ours.bootstrap });
    const p1 = await putter.put(key, Buffer.from('survivor').toString('hex'), { valueId: small });
    const p2 = await putter.put(key, bigHex, { valueId: big });
    // Our node is the only other node: it must be the one that acknowledged both puts.
    assert.deepEqual([p1.ok, p2.ok], [true, true]);
    assert.ok(p1.nodes.includes(ours.idHex) && p2.nodes.includes(ours.idHex), `acked by ${p1.nodes} / ${p2.nodes}`);
    await putter.kill();

    // Our node's own view (local storage first) has both values.
    const local = await ours.node.get(hexKey(key), { timeoutMs: 5000 });
    assert.ok(findValue(local, small) && findValue(local, big), `our node has both: ${local.map((v) => v.id)}`);

    const newcomer = await startPyNode({ bootstrap: ours.bootstrap });
    const got = await eventually(
      async () => {
        const r = await newcomer.get(key, 8);
        return r.values.length >= 2 ? r : undefined;
      },
      20_000,
      'newcomer gets both values',
      500,
    );
    const s = got.values.find((v) => v.id === small.toString());
    const b = got.values.find((v) => v.id === big.toString());
    assert.equal(Buffer.from(s?.data ?? '', 'hex').toString(), 'survivor');
    assert.equal(b?.data, bigHex);
  });
});
