/**
 * Network ids with a real node: a python3-opendht node on network 7 that knows two of our nodes,
 * one on network 0 and one on network 7, joins only the network-7 one; the network-0 node drops
 * its datagrams without answering (and counts them), as OpenDHT does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type PyNode, eventually, startPyNode, stopAll } from './harness.js';
import { type OurNode, randomKeyHex, randomValueId, startOurNode } from './our-node.js';

describe('network id with a real node', { timeout: 60_000 }, () => {
  let net0: OurNode;
  let net7: OurNode;
  let peer: PyNode;

  before(async () => {
    net0 = await startOurNode();
    net7 = await startOurNode({ networkId: 7 });
    peer = await startPyNode({ network: 7, bootstrap: [...net0.bootstrap, ...net7.bootstrap] });
  });

  after(async () => {
    await stopAll();
    await net0?.stop();
    await net7?.stop();
  });

  it('the network-7 real node joins our network-7 node only', { timeout: 30_000 }, async () => {
    await eventually(() => (net7.node.status().nodes[4].good >= 1 ? true : undefined), 15_000, 'network-7 node knows the peer');
    const key = randomKeyHex();
    const put = await peer.put(key, Buffer.from('net7').toString('hex'), { valueId: randomValueId() });
    assert.equal(put.ok, true);
    assert.deepEqual(put.nodes, [net7.idHex]);
    const s0 = net0.node.status();
    assert.equal(s0.nodes[4].total + s0.nodes[6].total, 0, 'network-0 node took no node in');
    assert.ok(s0.counters.dropped.netid > 0, 'network-0 node counted the foreign datagrams');
    assert.equal(s0.counters.sent, 0, 'network-0 node never answered');
    assert.equal(s0.storage.values, 0);
  });
});
