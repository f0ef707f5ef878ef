import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMessage, makeValue, sha1 } from '../src/codec/index.js';
import type { Message, Request } from '../src/codec/types.js';
import { createHarness } from './rpc-harness.js';

describe('node receive path under mutated datagrams', () => {
  it('never throws and never reaches an internal error on 3000 mutated requests and replies', async () => {
    const h = await createHarness({ rateLimit: null });
    const p = await h.probe();
    const key = sha1('fuzz');
    const token = new Uint8Array(32);
    const value = makeValue({ id: 3n, body: { type: 0, data: new Uint8Array(40).fill(1), userType: 'text/plain' } });
    const requests: Request[] = [
      { type: 'ping', id: p.id },
      { type: 'find', id: p.id, target: key, want: [4, 6] },
      { type: 'get', id: p.id, key, query: { select: [1, 4], where: [{ field: 1, value: 3n }] } },
      { type: 'put', id: p.id, key, values: { kind: 'inline', values: [value] }, token, created: 1_700_000_000 },
      { type: 'put', id: p.id, key, values: { kind: 'fragmented', sizes: [700, 20] }, token },
      { type: 'refresh', id: p.id, key, valueId: 3n, token },
      { type: 'listen', id: p.id, key, token, socketId: 4, version: 1, query: { select: [], where: [] } },
      { type: 'update', id: p.id, socketId: 4, key, values: { kind: 'inline', values: [value] }, refreshed: [1n], expired: [2n] },
    ];
    const seeds: Uint8Array[] = requests.map((request, i) =>
      encodeMessage({ tid: 100 + i, networkId: 0, client: false, userAgent: 'o2', kind: 'request', request } as Message),
    );
    seeds.push(
      encodeMessage({
        tid: 7,
        networkId: 0,
        client: false,
        userAgent: 'o2',
        kind: 'reply',
        reply: {
          id: p.id,
          seenAddress: '10.0.0.1',
          nodes4: [{ id: key, address: '10.0.0.7', port: 4222 }],
          token,
          values: { kind: 'fragmented', sizes: [30] },
        },
      }),
    );
    seeds.push(
      encodeMessage({ tid: 7, networkId: 0, client: false, kind: 'value-part', parts: [{ index: 0, offset: 0, data: value.packed.subarray(0, 30) }] }),
    );
    let state = 0x1234567;
    const rand = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    for (let i = 0; i < 3000; i++) {
      const seed = seeds[rand(seeds.length)]!;
      const bytes = Uint8Array.from(seed);
      const flips = 1 + rand(4);
      for (let f = 0; f < flips; f++) bytes[rand(bytes.length)] = rand(256);
      const cut = rand(10) === 0 ? rand(bytes.length) : bytes.length;
      p.sendRaw(rand(2) === 0 ? 4 : 6, bytes.subarray(0, cut));
      if (i % 100 === 0) h.settle(5);
    }
    h.settle(20_000);
    const s = h.node.status();
    assert.equal(s.counters.internalErrors, 0);
    assert.ok(s.counters.received >= 3000);
    await h.stop();
  });
});
