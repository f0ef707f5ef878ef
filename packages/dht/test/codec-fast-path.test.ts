/**
 * decodeMessage reads the busiest requests (ping, find, get, listen, put) straight from the bytes and hands
 * everything else to the general msgpack-tree decoder. These tests check that the shortcut never
 * changes a result: for requests it takes and for near misses (repeated keys, other encodings,
 * other types, truncation, byte flips), decodeMessage and decodeMessageTree give the same answer.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage, decodeMessageTree } from '../src/codec/decode.js';
import { fastRequest } from '../src/codec/fast-request.js';
import { encodeMessage } from '../src/codec/encode.js';
import { makeValue } from '../src/codec/value.js';
import { MsgMap, type MsgValue } from '../src/codec/msgpack/reader.js';
import { Writer, writeValue } from '../src/codec/msgpack/writer.js';
import type { DecodeResult, Message } from '../src/codec/types.js';
import { plainMessage } from './codec-fixtures.js';

const bin = (n: number, fill?: number): fc.Arbitrary<Uint8Array> =>
  fill === undefined ? fc.uint8Array({ minLength: n, maxLength: n }) : fc.constant(new Uint8Array(n).fill(fill));

/** Values a field may hold: the right one most of the time, and the usual wrong ones. */
const hash = fc.oneof(
  { weight: 6, arbitrary: bin(20) },
  { weight: 1, arbitrary: bin(20, 0) },
  { weight: 1, arbitrary: bin(19) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 300 }) },
);
function uintish(): fc.Arbitrary<number> {
  return fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -9, max: -1 }), fc.constant(2 ** 32 + 1));
}
const want = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(2, 10, 23, 30, 0, 127), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer({ min: -3, max: 300 }), fc.string({ maxLength: 2 })), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 }) },
);
/** A value map: the two shapes the fast path reads (plain, encrypted) and near misses of them. */
const mapOf = (entries: Array<[string, MsgValue]>): MsgMap =>
  new MsgMap(
    entries.map((e) => e[0]),
    entries.map((e) => e[1]),
    0,
    0,
  );
const valueId = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom<MsgValue>(2 ** 53 - 1, 2 ** 53, 2 ** 32, -1, 'id', 1.5),
);
const body = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom<MsgValue>(0x10000, -1, 'x')),
        fc.oneof(bin(64), fc.uint8Array({ maxLength: 300 }), fc.constant('text')),
      )
      .map(([type, data]) =>
        mapOf([
          ['type', type],
          ['data', data],
        ]),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 9 }), bin(8)).map(([type, data]) =>
      mapOf([
        ['data', data],
        ['type', type],
      ]),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 9 }), bin(8), fc.integer({ min: 0, max: 9 })).map(([type, data, seq]) =>
      mapOf([
        ['seq', seq],
        ['type', type],
        ['data', data],
      ]),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 9 })).map(([type]) => mapOf([['type', type]])) },
);
const dat = fc.oneof(
  { weight: 4, arbitrary: body.map((b) => mapOf([['body', b]])) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(body, bin(64)).map(([b, sig]) =>
      mapOf([
        ['body', b],
        ['sig', sig],
      ]),
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant('dat'), body) },
);
const value: fc.Arbitrary<MsgValue> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(valueId, dat).map(([id, d]) =>
      mapOf([
        ['id', id],
        ['dat', d],
      ]),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(valueId, dat).map(([id, d]) =>
      mapOf([
        ['dat', d],
        ['id', id],
      ]),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(valueId, dat, fc.integer({ min: 0, max: 3 })).map(([id, d, pr]) =>
      mapOf([
        ['id', id],
        ['dat', d],
        ['p', pr],
      ]),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.constant('v'),
      valueId.map((id) => mapOf([['id', id]])),
    ),
  },
);
const values = fc.oneof(
  { weight: 6, arbitrary: fc.array(value, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(value, { minLength: 0, maxLength: 17 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), bin(4), fc.array(fc.integer({ min: 0, max: 70000 }), { maxLength: 3 })) },
);
const argEntry: fc.Arbitrary<[string, MsgValue]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant('id'), hash) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('h'), hash) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('target'), hash) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('w'), want) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('token'), fc.oneof(bin(32), bin(0), fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 9 }))) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('sid'), fc.oneof(uintish(), bin(4), bin(5), fc.constant('abcd'))) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('ve'), fc.oneof(uintish(), bin(1))) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('values'), values) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('c'), fc.oneof(uintish(), fc.constant(2 ** 53), fc.constant('c'))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('q', 'x', 'targe', 'ta', 'tokens', 'si', 'value'), fc.oneof(bin(4), fc.integer({ min: 0, max: 9 }))) },
);
const args = fc.array(argEntry, { minLength: 0, maxLength: 5 }).map(mapOf);
const uint = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0, max: 0xffff }),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: -100, max: -1 }),
  fc.constant(2 ** 32),
);
const topEntry: fc.Arbitrary<[string, MsgValue]> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant('a'), fc.oneof({ weight: 8, arbitrary: args }, { weight: 1, arbitrary: fc.integer() })) },
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.constant('q'),
      fc.oneof(
        fc.constantFrom('ping', 'find', 'get', 'put', 'listen', 'pin', 'gett', 'listen2', 'update', 'pu', 'puts'),
        fc.constant(Uint8Array.of(0x70, 0x69, 0x6e, 0x67)),
        fc.integer(),
      ),
    ),
  },
  { weight: 5, arbitrary: fc.tuple(fc.constant('t'), fc.oneof(uint, bin(4), bin(3), fc.constant('abcd'))) },
  { weight: 4, arbitrary: fc.tuple(fc.constant('y'), fc.oneof(fc.constantFrom('q', 'r', 'e', ''), fc.integer({ min: 0, max: 3 }))) },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constant('v'),
      fc.oneof(fc.constantFrom('RNG1', 'o2', 'lanbox/0.1', 'é', 'a'.repeat(31), 'b'.repeat(40)), bin(3), fc.string({ maxLength: 8 })),
    ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constant('n'), uint) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('s'), fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 1 }))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('r', 'e', 'p', 'u', 'x', 'aa'), fc.oneof(args, fc.integer())) },
);

/** Well-formed ping/find/get/put requests in OpenDHT's key order, with optional keys present or not. */
const goodArgs = fc
  .record({
    id: bin(20),
    h: fc.option(bin(20), { nil: undefined }),
    target: fc.option(bin(20), { nil: undefined }),
    w: fc.option(fc.constantFrom<MsgValue[]>([2], [10], [2, 10], [10, 2, 2], [23]), { nil: undefined }),
    values: fc.option(
      fc.array(
        fc
          .tuple(
            fc.oneof(fc.integer({ min: 1, max: 0xffffffff }), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n })),
            fc.integer({ min: 0, max: 0xffff }),
            fc.uint8Array({ maxLength: 200 }),
            fc.boolean(),
          )
          .map(([id, type, data, encrypted]) =>
            mapOf([
              ['id', id],
              [
                'dat',
                encrypted
                  ? data
                  : mapOf([
                      [
                        'body',
                        mapOf([
                          ['type', type],
                          ['data', data],
                        ]),
                      ],
                    ]),
              ],
            ]),
          ),
        { minLength: 1, maxLength: 3 },
      ),
      { nil: undefined },
    ),
    c: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    token: fc.option(bin(32), { nil: undefined }),
  })
  .map(({ id, h, target, w, values, c, token }) => {
    const entries: Array<[string, MsgValue]> = [['id', id]];
    if (h) entries.push(['h', h]);
    if (target) entries.push(['target', target]);
    if (w) entries.push(['w', w]);
    if (values) entries.push(['values', values]);
    if (c !== undefined) entries.push(['c', c]);
    if (token) entries.push(['token', token]);
    return mapOf(entries);
  });
const goodRequest: fc.Arbitrary<Array<[string, MsgValue]>> = fc
  .record({
    a: goodArgs,
    q: fc.constantFrom('ping', 'find', 'get', 'listen', 'put', 'put'),
    t: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), bin(4)),
    y: fc.boolean(),
    v: fc.option(fc.constantFrom('RNG1', 'o2', 'lanbox/0.1.0'), { nil: undefined }),
    n: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    s: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ a, q, t, y, v, n, s }) => {
    const entries: Array<[string, MsgValue]> = [
      ['a', a],
      ['q', q],
      ['t', t],
    ];
    if (y) entries.push(['y', 'q']);
    if (v !== undefined) entries.push(['v', v]);
    if (n !== undefined) entries.push(['n', n]);
    if (s !== undefined) entries.push(['s', s]);
    return entries;
  });
/** A good request, with one entry replaced by or joined with a hostile one, or entries shuffled. */
const nearMiss: fc.Arbitrary<Array<[string, MsgValue]>> = fc.oneof(
  goodRequest,
  fc.tuple(goodRequest, topEntry, fc.nat()).map(([entries, extra, at]) => {
    const out = entries.slice();
    out.splice(at % (out.length + 1), 0, extra);
    return out;
  }),
  fc.tuple(goodRequest, topEntry, fc.nat()).map(([entries, other, at]) => {
    const out = entries.slice();
    out[at % out.length] = other;
    return out;
  }),
  fc.array(topEntry, { minLength: 0, maxLength: 8 }),
);

function encodeTree(entries: Array<[string, MsgValue]>): Uint8Array {
  const w = new Writer();
  writeValue(w, mapOf(entries));
  return w.finish();
}

/** A decode result with its values as plain data (the fast path's values build fields on demand). */
function plainResult(r: DecodeResult<Message>, payloadFirst = false): DecodeResult<Message> {
  return r.ok ? { ok: true, value: plainMessage(r.value, payloadFirst) } : r;
}

/**
 * Both decoders on the same bytes, given as a plain Uint8Array and as a Buffer (what node:dgram
 * hands over); the fast path's values read packed bytes first, then payload first.
 */
function agree(bytes: Uint8Array): void {
  assert.deepStrictEqual(plainResult(decodeMessage(bytes)), plainResult(decodeMessageTree(bytes)));
  assert.deepStrictEqual(plainResult(decodeMessage(Buffer.from(bytes)), true), plainResult(decodeMessageTree(Buffer.from(bytes))));
}

describe('decodeMessage fast path', () => {
  it('takes the requests real nodes send, with the general decoder`s result', () => {
    const id = new Uint8Array(20).fill(7);
    const key = new Uint8Array(20).fill(9);
    const requests = [
      encodeMessage({ kind: 'request', tid: 0x10000001, userAgent: 'RNG1', networkId: 0, client: false, request: { type: 'ping', id } }),
      encodeMessage({ kind: 'request', tid: 5, userAgent: 'o2', networkId: 7, client: true, request: { type: 'find', id, target: key, want: [4, 6] } }),
      encodeMessage({ kind: 'request', tid: 300, networkId: 0, client: false, request: { type: 'get', id, key, want: [6] } }),
      encodeMessage({ kind: 'request', tid: 0xfffe, tidAsBin: true, networkId: 0, client: false, request: { type: 'get', id, key } }),
      encodeMessage({
        kind: 'request',
        tid: 9,
        userAgent: 'RNG1',
        networkId: 0,
        client: false,
        request: { type: 'listen', id, key, token: new Uint8Array(32).fill(3), socketId: 0x12345678, version: 1 },
      }),
      encodeMessage({
        kind: 'request',
        tid: 11,
        userAgent: 'RNG1',
        networkId: 0,
        client: false,
        request: {
          type: 'put',
          id,
          key,
          token: new Uint8Array(32).fill(3),
          created: 1_700_000_000,
          values: {
            kind: 'inline',
            values: [
              makeValue({ id: 0xfedcba9876543210n, body: { type: 3, data: new Uint8Array(64).fill(0x42) } }),
              makeValue({ id: 7n, cypher: new Uint8Array(300).fill(5) }),
            ],
          },
        },
      }),
    ];
    for (const bytes of requests) {
      assert.notEqual(fastRequest(bytes), undefined, 'taken by the fast path');
      assert.equal(decodeMessage(bytes).ok, true);
      agree(bytes);
    }
  });

  it('agrees with the general decoder on generated near-miss requests', () => {
    let taken = 0;
    let puts = 0;
    fc.assert(
      fc.property(nearMiss, (entries) => {
        const bytes = encodeTree(entries);
        const fast = fastRequest(bytes);
        if (fast !== undefined) taken++;
        if (fast?.kind === 'request' && fast.request.type === 'put' && fast.request.values.kind === 'inline' && fast.request.values.values.length > 0) puts++;
        agree(bytes);
      }),
      { numRuns: 20_000 },
    );
    // The generator must exercise the shortcut itself, not only the fallback.
    assert.ok(taken > 2000, `fast path taken ${taken} times`);
    assert.ok(puts > 500, `fast path took ${puts} puts with values`);
  });

  it('agrees with the general decoder on truncated and bit-flipped requests', () => {
    fc.assert(
      fc.property(nearMiss, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (entries, cut, at, byte) => {
        const bytes = encodeTree(entries);
        if (bytes.length === 0) return;
        agree(bytes.subarray(0, cut % (bytes.length + 1)));
        const flipped = Uint8Array.from(bytes);
        flipped[at % flipped.length] = byte;
        agree(flipped);
      }),
      { numRuns: 20_000 },
    );
  });
});
