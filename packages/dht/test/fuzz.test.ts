/**
 * Fuzzing the codec (bounded): hostile datagrams never make it throw or stall, the reassembler
 * stays within its bounds, and generated messages survive encode → decode unchanged.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import {
  decodeMessage,
  decodeValue,
  encodeMessage,
  encodeValue,
  makeValue,
  Reassembler,
  type Message,
  type NodeRecord,
  type Query,
  type Request,
  type SelectedFields,
  type Value,
  type ValueList,
} from '../src/codec/index.js';
import { ipv4ToString, ipv6ToString } from '../src/codec/address.js';
import { FUZZ_KINDS, FuzzInputs } from './fuzz-inputs.js';
import { plainMessage } from './codec-fixtures.js';

describe('fuzz: decodeMessage on hostile datagrams', () => {
  it('never throws on random and vector-derived datagrams (half each; 100k in the full fuzz budget), and stays fast', () => {
    const inputs = new FuzzInputs(0x5eed);
    const started = performance.now();
    let slowest = 0;
    let accepted = 0;
    const total = fuzzRuns(100_000);
    for (let i = 0; i < total; i++) {
      // Half random/structured, half derived from the captured vectors.
      const kind = i < total / 2 ? (i % 2 === 0 ? 'random' : 'structured') : FUZZ_KINDS[2 + (i % (FUZZ_KINDS.length - 2))]!;
      const bytes = inputs.next(kind);
      const t0 = performance.now();
      const res = decodeMessage(bytes);
      const dt = performance.now() - t0;
      if (dt > slowest) slowest = dt;
      assert.equal(typeof res.ok, 'boolean');
      if (res.ok) {
        accepted++;
        // Whatever was accepted can be re-encoded and decodes to the same thing again.
        const again = decodeMessage(encodeMessage(res.value));
        assert.ok(again.ok, 'an accepted message re-encodes to a decodable datagram');
        assert.deepEqual(again.value, res.value);
      } else {
        assert.equal(typeof res.error.reason, 'string');
      }
    }
    const elapsed = performance.now() - started;
    assert.ok(accepted > total / 100, `mutations still reach the message decoders (${accepted} of ${total} accepted)`);
    assert.ok(slowest < 500, `no single datagram takes long (GC pauses included) (slowest ${slowest.toFixed(2)} ms)`);
    assert.ok(elapsed < 60_000, `bounded run (${elapsed.toFixed(0)} ms)`);
  });

  it('decodeValue never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = decodeValue(bytes);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: fuzzRuns(5000), seed: 7 },
    );
  });
});

describe('fuzz: reassembler stays bounded', () => {
  it('holds at most its configured contexts, bytes and early parts under random headers and parts', () => {
    const inputs = new FuzzInputs(0xf00d);
    let now = 0;
    const limits = { maxPending: 16, maxBufferedBytes: 200_000, maxEarlyParts: 32, maxEarlyBytes: 20_000 };
    const r = new Reassembler(limits, { clock: { now: () => now } });
    const sources = ['a', 'b', 'c'];
    for (let i = 0; i < 20_000; i++) {
      now += inputs.int(300);
      const src = sources[inputs.int(sources.length)]!;
      const tid = inputs.int(8);
      let msg: Message;
      if (inputs.int(4) === 0) {
        const sizes = Array.from({ length: 1 + inputs.int(3) }, () => (inputs.int(4) === 0 ? 70_000 + inputs.int(1000) : inputs.int(5000)));
        msg = {
          tid,
          networkId: 0,
          client: false,
          kind: 'request',
          request: { type: 'put', id: new Uint8Array(20).fill(1), values: { kind: 'fragmented', sizes } },
        };
      } else {
        const len = inputs.int(1500);
        msg = {
          tid,
          networkId: 0,
          client: false,
          kind: 'value-part',
          parts: [{ index: inputs.int(4), offset: inputs.int(6000), data: new Uint8Array(len).fill(inputs.int(256)) }],
        };
      }
      const res = r.push(src, msg);
      assert.ok(['complete', 'pending', 'dropped'].includes(res.status));
      if (i % 100 === 0) r.tick();
      const s = r.stats();
      assert.ok(s.pending <= limits.maxPending);
      assert.ok(s.bufferedBytes <= limits.maxBufferedBytes && s.bufferedBytes >= 0);
      assert.ok(s.earlyParts <= limits.maxEarlyParts);
      assert.ok(s.earlyBytes <= limits.maxEarlyBytes);
    }
    const s = r.stats();
    assert.ok(s.droppedParts > 0 && s.timedOut > 0, 'the run exercised drops and timeouts');
  });
});

// ---------------------------------------------------------------------------------------------
// Generated messages: encode then decode gives the message back.

/** fc.record without null-prototype objects (the decoder builds plain objects; deepEqual compares prototypes). */
const rec = ((model: object, options?: object) => fc.record(model as never, { ...(options ?? {}), noNullPrototype: true } as never)) as typeof fc.record;

const id20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).filter((b) => b.some((x) => x !== 0));
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

const address4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ipv4ToString(b));
const address6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipv6ToString(b));
const node = (addr: fc.Arbitrary<string>): fc.Arbitrary<NodeRecord> => rec({ id: fc.uint8Array({ minLength: 20, maxLength: 20 }), address: addr, port: u16 });

const value: fc.Arbitrary<Value> = fc
  .oneof(
    rec(
      {
        id: u64,
        body: rec({ type: u16, data: bytes(200), userType: fc.string({ minLength: 1, maxLength: 20 }), to: id20 }, { requiredKeys: ['type', 'data'] }),
        priority: fc.integer({ min: 1, max: 100 }),
        pushType: fc.string({ minLength: 1, maxLength: 8 }),
      },
      { requiredKeys: ['id', 'body'] },
    ),
    rec({ id: u64, body: rec({ seq: u16, owner: bytes(300), type: u16, data: bytes(100) }), signature: bytes(64) }),
    rec({ id: u64, cypher: bytes(300) }, { requiredKeys: ['id', 'cypher'] }),
  )
  .map((v) => makeValue(v));

const valueList: fc.Arbitrary<ValueList> = fc.oneof(
  rec({ kind: fc.constant('inline' as const), values: fc.array(value, { maxLength: 3 }) }),
  rec({ kind: fc.constant('fragmented' as const), sizes: fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 1, maxLength: 5 }) }),
);

const query: fc.Arbitrary<Query> = rec({
  select: fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 4 }),
  where: fc.array(
    fc.oneof(
      rec({ field: fc.constant(1), value: u64 }),
      rec({ field: fc.constantFrom(2, 4), value: u16 }),
      rec({ field: fc.constant(3), value: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
      rec({ field: fc.constant(5), value: bytes(20) }),
    ),
    { maxLength: 3 },
  ),
});

const want = fc.constantFrom<Array<4 | 6>>([], [4], [6], [4, 6], [6, 4]);
const ids = fc.array(u64, { maxLength: 4 });

const request: fc.Arbitrary<Request> = fc.oneof(
  rec({ type: fc.constant('ping' as const), id: id20 }),
  rec(
    { type: fc.constant('find' as const), id: id20, target: fc.uint8Array({ minLength: 20, maxLength: 20 }), want },
    { requiredKeys: ['type', 'id', 'target'] },
  ),
  rec({ type: fc.constant('get' as const), id: id20, key: id20, query, want }, { requiredKeys: ['type', 'id'] }),
  rec(
    { type: fc.constant('put' as const), id: id20, key: id20, values: valueList, created: u32, token: bytes(64) },
    { requiredKeys: ['type', 'id', 'values'] },
  ),
  rec({ type: fc.constant('refresh' as const), id: id20, key: id20, valueId: u64, token: bytes(64) }, { requiredKeys: ['type', 'id'] }),
  rec(
    { type: fc.constant('listen' as const), id: id20, key: id20, token: bytes(64), socketId: u32, version: fc.integer({ min: 0, max: 3 }), query },
    { requiredKeys: ['type', 'id', 'socketId', 'version'] },
  ),
  rec(
    {
      type: fc.constant('update' as const),
      id: id20,
      socketId: u32,
      key: id20,
      version: fc.integer({ min: 0, max: 3 }),
      values: valueList,
      created: u32,
      token: bytes(64),
      refreshed: ids,
      expired: ids,
    },
    { requiredKeys: ['type', 'id', 'socketId'] },
  ),
);

const fields: fc.Arbitrary<SelectedFields> = fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }).chain((f) => {
  const sorted = [...f].sort((a, b) => a - b);
  const cell = (field: number): fc.Arbitrary<bigint | number | Uint8Array | string> =>
    field === 1 ? u64 : field === 3 ? bytes(40) : field === 5 ? fc.string({ maxLength: 10 }) : u16;
  return fc.array(fc.tuple(...sorted.map(cell)), { maxLength: 4 }).map((rows) => ({ fields: sorted, values: rows.flat() }));
});

const reply = rec(
  {
    id: id20,
    seenAddress: fc.oneof(address4, address6),
    nodes4: fc.array(node(address4), { minLength: 1, maxLength: 8 }),
    nodes6: fc.array(node(address6), { minLength: 1, maxLength: 8 }),
    token: bytes(64),
    values: valueList,
    fields,
    valueId: u64,
  },
  { requiredKeys: ['id'] },
)
  // OpenDHT reads `values` in preference to `fileds`: a reply carries one or the other.
  .map((r) => {
    if (r.values !== undefined) delete r.fields;
    return r;
  });

const envelope = rec(
  {
    tid: u32,
    userAgent: fc.constantFrom('RNG1', 'o2', 'TSPROBE', 'é'),
    networkId: u32,
    client: fc.boolean(),
    tidAsBin: fc.constant(true),
  },
  { requiredKeys: ['tid', 'networkId', 'client'] },
);

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.tuple(envelope, request).map(([e, request]) => ({ ...e, kind: 'request' as const, request })),
  fc.tuple(envelope, reply).map(([e, reply]) => ({ ...e, kind: 'reply' as const, reply })),
  fc.tuple(envelope, rec({ id: id20, code: u16, message: fc.string({ maxLength: 40 }) })).map(([e, error]) => ({ ...e, kind: 'error' as const, error })),
  fc
    .tuple(envelope, rec({ id: id20, token: bytes(40), refreshed: ids, expired: ids }, { requiredKeys: ['id'] }))
    .map(([e, update]) => ({ ...e, kind: 'legacy-update' as const, update })),
  fc
    .tuple(envelope, fc.uniqueArray(rec({ index: u32, offset: u32, data: bytes(100) }), { maxLength: 3, selector: (p) => p.index }))
    // Value parts carry no user agent.
    .map(([e, parts]) => {
      const { userAgent: _ua, ...rest } = e;
      return { ...rest, kind: 'value-part' as const, parts };
    }),
);

describe('fuzz: properties', () => {
  it('decode(encode(message)) gives the message back', () => {
    fc.assert(
      fc.property(message, (m) => {
        const res = decodeMessage(encodeMessage(m));
        assert.ok(res.ok, res.ok ? '' : res.error.reason);
        assert.deepEqual(plainMessage(res.value), plainMessage(m));
      }),
      { numRuns: fuzzRuns(3000), seed: 42 },
    );
  });

  it('encode(decode(bytes)) is a fixed point for every accepted datagram', () => {
    fc.assert(
      fc.property(message, (m) => {
        const once = encodeMessage(m);
        const res = decodeMessage(once);
        assert.ok(res.ok);
        assert.deepEqual(encodeMessage(res.value), once);
      }),
      { numRuns: fuzzRuns(2000), seed: 43 },
    );
  });

  it('values: decodeValue(encodeValue(v)) gives the value back', () => {
    fc.assert(
      fc.property(value, (v) => {
        const res = decodeValue(encodeValue(v));
        assert.ok(res.ok);
        assert.deepEqual(res.value, v);
      }),
      { numRuns: fuzzRuns(2000), seed: 44 },
    );
  });
});
