/**
 * (d) Our node answers `find` the way OpenDHT peers rely on: with the known-good nodes closest
 * to the target by XOR distance, closest first, at most 8 per family, with a token and `sa`.
 *
 * Ten real OpenDHT 2.4.12 nodes join through our node; then a find datagram, encoded with our
 * codec exactly as a real node sends it (`find-request-want46` vector shape), is sent over UDP
 * and the reply's `n4`/`n6` are compared with the true XOR-closest of those ten nodes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { xorCompare, type Reply } from '../../src/codec/index.js';
import { type PyNode, eventually, startPyNode, stopAll } from './harness.js';
import { type OurNode, hex, startOurNode } from './our-node.js';
import { RawClient } from './raw-client.js';

const PEERS = 10;

async function find(client: RawClient, target: Uint8Array, want?: Array<4 | 6>): Promise<Reply> {
  const answer = await client.request({ type: 'find', id: client.id, target, ...(want ? { want } : {}) });
  assert.ok(answer.reply, `find answered with a reply: ${JSON.stringify(answer.error)}`);
  return answer.reply;
}

describe('our node answers find with the XOR-closest good nodes', { timeout: 90_000 }, () => {
  let ours: OurNode;
  const peers: PyNode[] = [];
  let v4: RawClient;
  let v6: RawClient;

  before(async () => {
    ours = await startOurNode();
    for (let i = 0; i < PEERS; i++) peers.push(await startPyNode({ bootstrap: ours.bootstrap }));
    // Only nodes that answered our node's own requests are "good" and may be listed.
    await eventually(
      () => {
        const n = ours.node.status().nodes;
        return n[4].good >= PEERS && n[6].good >= PEERS ? true : undefined;
      },
      30_000,
      `our node holds the ${PEERS} real nodes as good on both families`,
    );
    v4 = await RawClient.open('127.0.0.1', ours.port);
    v6 = await RawClient.open('::1', ours.port);
  });

  after(async () => {
    v4?.close();
    v6?.close();
    await stopAll();
    await ours?.stop();
  });

  function closest(target: Uint8Array): PyNode[] {
    return [...peers].sort((a, b) => xorCompare(Buffer.from(a.nodeId, 'hex'), Buffer.from(b.nodeId, 'hex'), target)).slice(0, 8);
  }

  it('IPv4 find with w=[2,10]: n4 and n6 each hold the 8 closest, closest first', { timeout: 20_000 }, async () => {
    for (let round = 0; round < 5; round++) {
      const target = randomBytes(20);
      const reply = await find(v4, target, [4, 6]);
      assert.equal(hex(reply.id), ours.idHex);
      assert.equal(reply.seenAddress, '127.0.0.1');
      assert.ok(reply.token && reply.token.length > 0, 'find reply carries a token');
      const expected = closest(target);
      assert.deepEqual(
        (reply.nodes4 ?? []).map((n) => [hex(n.id), n.address, n.port]),
        expected.map((p) => [p.nodeId, '127.0.0.1', p.port]),
        `n4 for target ${hex(target)}`,
      );
      assert.deepEqual(
        (reply.nodes6 ?? []).map((n) => [hex(n.id), n.address, n.port]),
        expected.map((p) => [p.nodeId, '::1', p.port]),
        `n6 for target ${hex(target)}`,
      );
    }
  });

  it('IPv6 find without w: only n6, the 8 closest', { timeout: 20_000 }, async () => {
    const peer = peers[3]!;
    // Targeting a peer's own id: it must come first (distance 0).
    const target = Buffer.from(peer.nodeId, 'hex');
    const reply = await find(v6, target);
    assert.equal(reply.seenAddress, '::1');
    assert.equal((reply.nodes4 ?? []).length, 0, 'no n4 over IPv6 without w');
    assert.deepEqual(
      (reply.nodes6 ?? []).map((n) => hex(n.id)),
      closest(target).map((p) => p.nodeId),
    );
    assert.equal(hex(reply.nodes6![0]!.id), peer.nodeId);
  });
});
