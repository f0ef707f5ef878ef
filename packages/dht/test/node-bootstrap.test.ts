import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeValue, sha1 } from '../src/codec/index.js';
import { createHarness, type Probe, replyBody, replyOf } from './rpc-harness.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('bootstrap', () => {
  it('pings resolved bootstrap hosts every 10 s, doubling, while it knows no good node', async () => {
    const resolved: string[] = [];
    const h = await createHarness(
      { bootstrap: ['box.lan:4222', '[fd00:9::9]:4223', 'unknown.lan'] },
      {
        resolver: async (host) => {
          resolved.push(host);
          if (host === 'box.lan') return [{ address: '10.0.9.9', family: 4 }];
          if (host === 'fd00:9::9') return [{ address: 'fd00:9::9', family: 6 }];
          throw new Error('NXDOMAIN');
        },
      },
    );
    const sentAt = async (ms: number): Promise<number> => {
      await h.clock.advanceAsync(ms, 100);
      return h.network.stats().undeliverable;
    };
    // Each round: one ping per address, each sent 3 times (retransmissions).
    assert.equal(await sentAt(9_000), 6);
    assert.equal(await sentAt(10_000), 12, 'second round at 10 s');
    assert.equal(await sentAt(10_000), 12, 'nothing more before 30 s');
    assert.equal(await sentAt(10_000), 18, 'third round at 30 s');
    assert.equal(await sentAt(39_000), 24, 'fourth round at 70 s');
    assert.equal(await sentAt(70_000), 24, 'next one only at 150 s');
    assert.ok(resolved.includes('unknown.lan'));
    assert.equal(h.node.status().bootstrapping, true);
    await h.stop();
  });

  it('a node handed over by discovery (addNode) is pinged and becomes good', async () => {
    const h = await createHarness();
    const p = await h.probe();
    h.node.addNode(4, p.address4, p.port);
    h.settle();
    const ping = p.take().find((r) => r.msg.kind === 'request' && r.msg.request.type === 'ping');
    assert.ok(ping);
    p.send(4, { tid: ping.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: p.id, seenAddress: h.nodeAddress[4] } });
    h.settle();
    assert.equal(h.node.status().nodes[4].good, 1);
    assert.equal(h.node.status().bootstrapping, false);
    // Martian or unbound-family addresses are ignored.
    h.node.addNode(4, '0.0.0.1', 4222);
    h.node.addNode(4, '10.0.0.9', 0);
    assert.equal(h.node.status().transactions, 0);
    await h.stop();
  });
});

/** Make `count` probes whose ids are closer to `key` than the node's own id, all good. */
async function closeGoodProbes(h: Awaited<ReturnType<typeof createHarness>>, key: Uint8Array, count: number): Promise<Probe[]> {
  const probes: Probe[] = [];
  for (let i = 0; i < count; i++) {
    const p = await h.probe();
    p.id.set(key);
    p.id[19] = i + 1;
    p.request(4, { type: 'ping', id: p.id });
    probes.push(p);
  }
  h.settle();
  for (const p of probes) {
    for (const r of p.take()) {
      if (r.msg.kind === 'request') {
        p.send(4, { tid: r.msg.tid, networkId: 0, client: false, userAgent: 'o2', kind: 'reply', reply: { id: p.id, seenAddress: h.nodeAddress[4] } });
      }
    }
  }
  h.settle();
  return probes;
}

describe('"too far" check', () => {
  for (const rejectTooFar of [false, true]) {
    it(`${rejectTooFar ? 'with' : 'without'} rejectTooFar, a put for a key 8+ good nodes are closer to is ${rejectTooFar ? 'acknowledged but not stored' : 'stored'}`, async () => {
      const h = await createHarness({ rateLimit: null, rejectTooFar });
      const key = sha1('far away key');
      // The probes' ids differ from the key only in the last byte: all closer than our own id.
      const probes = await closeGoodProbes(h, key, 10);
      assert.ok(h.node.status().nodes[4].good >= 8);
      const p = probes[0]!;
      const tidT = p.request(4, { type: 'get', id: p.id, key });
      h.settle();
      const token = replyBody(replyOf(p.take(), tidT)).token!;
      const tid = p.request(4, { type: 'put', id: p.id, key, values: { kind: 'inline', values: [makeValue({ id: 5n, body: { type: 0, data: text('x') } })] }, token });
      h.settle();
      assert.equal(replyBody(replyOf(p.take(), tid)).valueId, 5n);
      assert.equal(h.node.status().storage.values, rejectTooFar ? 0 : 1);
      await h.stop();
    });
  }
});
