/** The box-to-box codecs never throw and bound what they read; the conflict rule is a total order; digests update by XOR. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import {
  decodeBatch,
  decodeBuckets,
  decodeEntries,
  decodeHello,
  decodeKeys,
  decodeReserve,
  decodeTombstone,
  decodeWireRecord,
  parseJson,
  type WireRecord,
} from '../src/codec/wire.js';
import { beats } from '../src/conflict.js';
import { DigestIndex, recordDigest } from '../src/digest.js';

const DECODERS = [
  decodeWireRecord,
  decodeTombstone,
  decodeHello,
  decodeBuckets,
  (v: unknown) => decodeEntries(v, 10),
  (v: unknown) => decodeKeys(v, 10),
  (v: unknown) => decodeBatch(v, 10),
  decodeReserve,
];

const hex40 = fc.stringMatching(/^[0-9a-f]{40}$/);
const record: fc.Arbitrary<WireRecord> = fc.record({
  name: fc.stringMatching(/^[a-z0-9_-]{3,8}$/),
  addr: hex40,
  owner: hex40,
  publickey: fc.constant('QUJD'),
  signature: fc.constant('REVG'),
  registeredAt: fc.integer({ min: 0, max: 100 }),
  origin: hex40,
  confirmed: fc.boolean(),
});

describe('wire codecs', () => {
  it('never throw on any JSON value or text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.string().map((s) => parseJson(s)),
        ),
        (v) => {
          for (const decode of DECODERS) decode(v);
        },
      ),
      { seed: 15, numRuns: fuzzRuns(3000) },
    );
  });

  it('accept what a box sends and refuse lists over their bound', () => {
    fc.assert(
      fc.property(record, (r) => {
        assert.deepEqual(decodeWireRecord(JSON.parse(JSON.stringify(r))), { ok: true, value: { ...r } });
      }),
      { seed: 15, numRuns: 300 },
    );
    assert.equal(decodeKeys({ keys: Array.from({ length: 11 }, () => 'abc') }, 10).ok, false);
    assert.equal(decodeBatch({ records: Array.from({ length: 11 }, () => ({})) }, 10).ok, false);
    assert.equal(decodeKeys({ keys: ['abc', `abc/${'0'.repeat(40)}`] }, 10).ok, true);
    assert.equal(decodeKeys({ keys: ['ABC'] }, 10).ok, false);
  });
});

describe('conflict rule', () => {
  it('is a strict total order: exactly one of two different records wins, the same on every box', () => {
    fc.assert(
      fc.property(record, record, record, (a, b, c) => {
        if (recordDigest(a) !== recordDigest(b)) assert.notEqual(beats(a, b), beats(b, a));
        if (beats(a, b) && beats(b, c)) assert.ok(beats(a, c));
      }),
      { seed: 15, numRuns: fuzzRuns(3000) },
    );
  });

  it('confirmed first, then the earlier registration, then the smaller Jami ID', () => {
    const base: WireRecord = { name: 'x-name', addr: 'b'.repeat(40), owner: 'b'.repeat(40), publickey: 'QQ==', signature: 'QQ==', registeredAt: 50 };
    assert.ok(beats({ ...base, confirmed: true, registeredAt: 99 }, { ...base, addr: 'a'.repeat(40), confirmed: false, registeredAt: 1 }));
    assert.ok(beats({ ...base, confirmed: false, registeredAt: 1 }, { ...base, addr: 'a'.repeat(40), confirmed: false, registeredAt: 2 }));
    assert.ok(beats({ ...base, addr: 'a'.repeat(40) }, base));
  });
});

describe('digest index', () => {
  it('bucket and root digests depend only on the set of entries, not on the order they came in', () => {
    fc.assert(
      fc.property(fc.uniqueArray(record, { selector: (r) => r.name, maxLength: 30 }), fc.nat(), (records, seed) => {
        const one = new DigestIndex();
        const two = new DigestIndex();
        for (const r of records) one.set(r.name, recordDigest(r));
        const shuffled = [...records].sort((x, y) => (recordDigest(x).charCodeAt(seed % 16) ?? 0) - (recordDigest(y).charCodeAt(seed % 16) ?? 0));
        for (const r of shuffled) two.set(r.name, recordDigest({ ...r, registeredAt: r.registeredAt + 1 }));
        for (const r of shuffled) two.set(r.name, recordDigest(r));
        assert.equal(one.root(), two.root());
        assert.deepEqual(one.bucketDigests(), two.bucketDigests());
        for (const r of records) two.delete(r.name);
        assert.equal(two.root(), '0'.repeat(16));
        assert.equal(two.size, 0);
      }),
      { seed: 15, numRuns: 200 },
    );
  });
});
