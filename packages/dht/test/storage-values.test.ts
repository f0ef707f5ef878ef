/** The compact stored-value record: ids read back from packed bytes, single-value keys without an array. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeValue, encodeValue } from '../src/codec/value.js';
import { Writer } from '../src/codec/msgpack/writer.js';
import { KeyEntry, packedId, StoredValue } from '../src/storage/values.js';
import { SourceGroup } from '../src/storage/quotas.js';

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('storage values: ids from packed bytes', () => {
  it('reads the id of every encoded value, in each integer width', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.uint8Array({ maxLength: 80 }), (raw, data) => {
        const id = raw === 0n ? 1n : raw;
        const packed = latin1(makeValue({ id, body: { type: 0, data } }).packed);
        assert.equal(packedId(packed), id);
        const v = new StoredValue(packed, 0, 0, new KeyEntry('k'), new SourceGroup('g'));
        assert.equal(v.id, id);
      }),
    );
    for (const id of [1n, 0x7fn, 0x80n, 0xffn, 0x100n, 0xffffn, 0x10000n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn]) {
      assert.equal(packedId(latin1(encodeValue({ id, body: { type: 0, data: new Uint8Array(1) } }))), id);
    }
  });

  it('falls back to decoding when id is not the first entry', () => {
    // {dat: {body: {type: 0, data: <1 byte>}}, id: 300}: a valid value with another key order.
    const w = new Writer();
    w.mapHeader(2);
    w.str('dat');
    w.mapHeader(1);
    w.str('body');
    w.mapHeader(2);
    w.str('type');
    w.uint(0);
    w.str('data');
    w.bin(new Uint8Array([7]));
    w.str('id');
    w.uint(300);
    const packed = latin1(w.finish());
    assert.equal(packedId(packed), undefined);
    assert.equal(new StoredValue(packed, 0, 0, new KeyEntry('k'), new SourceGroup('g')).id, 300n);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 20 }), (b) => void packedId(latin1(b))));
  });
});

describe('storage values: key entries', () => {
  it('hold one value directly, several in a list, and go back to one', () => {
    const e = new KeyEntry('k');
    const g = new SourceGroup('g');
    const mk = (id: bigint) => new StoredValue(latin1(makeValue({ id, body: { type: 0, data: new Uint8Array(1) } }).packed), 0, 0, e, g);
    const [a, b, c] = [mk(1n), mk(2n), mk(3n)];
    assert.ok(e.empty);
    e.add(a);
    assert.deepEqual([e.count, e.first(), e.find(1n), e.find(2n)], [1, a, a, undefined]);
    e.add(b);
    e.add(c);
    assert.deepEqual(e.list(), [a, b, c]);
    assert.equal(e.find(3n), c);
    e.remove(a);
    e.remove(c);
    assert.deepEqual([e.count, e.first(), e.list()], [1, b, [b]]);
    assert.ok(e.some((v) => v === b));
    e.remove(b);
    assert.ok(e.empty);
    assert.deepEqual(e.list(), []);
    for (let i = 1n; i <= 20n; i++) e.add(mk(i));
    assert.equal(e.find(17n)?.id, 17n);
    assert.equal(e.small(), false);
  });
});
