/** What the node reports about its storage limits: refusals by reason and evictions are visible. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeValue, sha1 } from '../src/codec/index.js';
import { createHarness, replyBody, replyOf } from './rpc-harness.js';

const text = (s: string) => new TextEncoder().encode(s);

describe('status().storage', () => {
  it('counts values evicted to honour maxValues and puts refused as too large', async () => {
    const h = await createHarness({ rateLimit: null, storage: { maxValues: 2, maxValueSize: 100 } });
    const p = await h.probe();
    const put = (key: Uint8Array, id: bigint, data: Uint8Array) => {
      const getTid = p.request(4, { type: 'get', id: p.id, key });
      h.settle();
      const token = replyBody(replyOf(p.take(), getTid)).token!;
      const tid = p.request(4, { type: 'put', id: p.id, key, values: { kind: 'inline', values: [makeValue({ id, body: { type: 0, data } })] }, token });
      h.settle();
      const answers = p.take().filter((r) => r.msg.tid === tid);
      if (answers.length === 0) return false;
      assert.equal(replyBody(replyOf(answers, tid)).valueId, id);
      return true;
    };
    // The third value is kept (the oldest of its source is evicted); the big one is not, so it
    // gets no acknowledgement.
    for (let i = 1; i <= 3; i++) assert.equal(put(sha1(`key ${i}`), BigInt(i), text(`value ${i}`)), true);
    assert.equal(put(sha1('big'), 9n, new Uint8Array(200)), false);

    const { storage } = h.node.status();
    assert.equal(storage.values, 2);
    assert.equal(storage.evicted, 1);
    assert.equal(storage.rejected['too-large'], 1);
    await h.stop();
  });
});
