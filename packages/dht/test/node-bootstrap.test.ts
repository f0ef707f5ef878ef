import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeValue, sha1 } from '../src/codec/index.js';
import { BootstrapEntryError, createDhtNode } from '../src/index.js';
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

  it('takes { host, port } entries as they are, and refuses a malformed entry instead of dropping it', async () => {
    const resolved: string[] = [];
    const h = await createHarness(
      { bootstrap: [{ host: 'fd00:9::9', port: 4223 }, '[fd00:9::8]'] },
      {
        resolver: async (host) => {
          resolved.push(host);
          return [{ address: host, family: 6 }];
        },
      },
    );
    await h.clock.advanceAsync(1_000, 100);
    assert.deepEqual(resolved.sort(), ['fd00:9::8', 'fd00:9::9']);
    await h.stop();
    for (const [bad, why] of [
      ['box.lan:http', /bootstrap\[1\]: "box.lan:http": port is not a number/],
      ['box lan:4222', /not a host name/],
      ['[zz::1]:4222', /not an IPv6 address/],
      ['box.lan:70000', /port 70000 is not 1..65535/],
      [{ host: 'box.lan', port: 0 }, /port 0 is not/],
      [{ host: '', port: 4222 }, /host is empty/],
    ] as const) {
      assert.throws(
        () => createDhtNode({ port: 0, bootstrap: ['ok.lan:4222', bad] }),
        (err: unknown) => err instanceof BootstrapEntryError && why.test(err.message),
        String(bad),
      );
    }
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
    it(`${rejectTooFar ? 'with' : 'without'} rejectTooFar, a put for a key 8+ good nodes are closer to is ${rejectTooFar ? 'neither stored nor acknowledged' : 'stored and acknowledged'}`, async () => {
      const h = await createHarness({ rateLimit: null, rejectTooFar });
      const key = sha1('far away key');
      // The probes' ids differ from the key only in the last byte: all closer than our own id.
      const probes = await closeGoodProbes(h, key, 10);
      assert.ok(h.node.status().nodes[4].good >= 8);
      const p = probes[0]!;
      const tidT = p.request(4, { type: 'get', id: p.id, key });
      h.settle();
      const token = replyBody(replyOf(p.take(), tidT)).token!;
      const tid = p.request(4, {
        type: 'put',
        id: p.id,
        key,
        values: { kind: 'inline', values: [makeValue({ id: 5n, body: { type: 0, data: text('x') } })] },
        token,
      });
      h.settle();
      const answers = p.take().filter((r) => r.msg.tid === tid);
      if (rejectTooFar) assert.deepEqual(answers, []);
      else assert.equal(replyBody(replyOf(answers, tid)).valueId, 5n);
      assert.equal(h.node.status().storage.values, rejectTooFar ? 0 : 1);
      await h.stop();
    });
  }
});

describe('listening through a remote node', () => {
  it('subscribes on the remote node, re-sends every 20 s, and survives a throwing callback', async () => {
    const h = await createHarness({ rateLimit: null });
    const [p] = await closeGoodProbes(h, sha1('x'), 1);
    const storer = p!;
    const key = sha1('remote listen');
    const seen: bigint[] = [];
    h.node.listen(key, (values) => {
      seen.push(...values.map((v) => v.id));
      throw new Error('callback bug');
    });
    const token = new Uint8Array(32).fill(7);
    const answer = (): Array<{ tid: number; type: string; socketId?: number }> => {
      const out: Array<{ tid: number; type: string; socketId?: number }> = [];
      for (const r of storer.take()) {
        if (r.msg.kind !== 'request') continue;
        const req = r.msg.request;
        out.push({ tid: r.msg.tid, type: req.type, socketId: req.type === 'listen' ? req.socketId : undefined });
        storer.send(4, {
          tid: r.msg.tid,
          networkId: 0,
          client: false,
          userAgent: 'o2',
          kind: 'reply',
          reply: { id: storer.id, seenAddress: h.nodeAddress[4], token },
        });
      }
      h.settle();
      return out;
    };
    h.settle();
    assert.deepEqual(
      answer().map((r) => r.type),
      ['find'],
    );
    const listens = answer();
    assert.equal(listens.length, 1);
    assert.equal(listens[0]!.type, 'listen');
    const sid = listens[0]!.socketId!;
    // The storer pushes a value: acknowledged, callback called (and its exception contained).
    const tid = storer.request(4, {
      type: 'update',
      id: storer.id,
      socketId: sid,
      key,
      version: 1,
      values: { kind: 'inline', values: [makeValue({ id: 31n, body: { type: 0, data: text('pushed') } })] },
      token,
    });
    h.settle();
    assert.deepEqual(replyBody(replyOf(storer.take(), tid)).id, h.node.id);
    assert.deepEqual(seen, [31n]);
    assert.equal(h.node.status().counters.internalErrors, 1);
    // An update for an unknown sid is acknowledged and ignored.
    const tid2 = storer.request(4, {
      type: 'update',
      id: storer.id,
      socketId: sid + 1,
      key,
      version: 1,
      values: { kind: 'inline', values: [makeValue({ id: 32n, body: { type: 0, data: text('other') } })] },
    });
    h.settle();
    replyOf(storer.take(), tid2);
    assert.deepEqual(seen, [31n]);
    // Refreshed every 20 s with the same sid.
    h.settle(21_100);
    const again = answer().filter((r) => r.type === 'listen');
    assert.equal(again.length, 1);
    assert.equal(again[0]!.socketId, sid);
    await h.stop();
  });
});

describe('get timeout', () => {
  it('resolves with what is known when the timeout comes first', async () => {
    const h = await createHarness({ rateLimit: null });
    await closeGoodProbes(h, sha1('y'), 1);
    const key = sha1('timeout key');
    void h.node.put(key, makeValue({ id: 1n, body: { type: 0, data: text('local') } }));
    let resolvedAt = 0;
    const t0 = h.clock.now();
    const got = h.node.get(key, { timeoutMs: 300 }).then((v) => {
      resolvedAt = h.clock.now() - t0;
      return v;
    });
    await h.clock.advanceAsync(2_000, 50);
    assert.deepEqual(
      (await got).map((v) => v.id),
      [1n],
    );
    assert.ok(resolvedAt >= 300 && resolvedAt < 400, `resolved after ${resolvedAt} ms`);
    await h.stop();
  });
});
