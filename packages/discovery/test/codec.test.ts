import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import {
  decodeDhtService,
  decodeJamiService,
  decodeMessage,
  encodeAnnouncement,
  encodeDhtService,
  encodeJamiService,
  encodeQuery,
} from '../src/codec/messages.js';
import { decodeMsgpack, MsgWriter, type MsgValue } from '../src/codec/msgpack.js';
import { hex, payload, unhex, vector, vectors } from './vectors.js';

/** The vectors' `decoded` notation: bin as {bin_hex}, maps as objects. */
function toJson(v: MsgValue): unknown {
  if (v instanceof Uint8Array) return { bin_hex: hex(v) };
  if (Array.isArray(v)) return v.map(toJson);
  if (v !== null && typeof v === 'object' && v.kind === 'map') {
    return Object.fromEntries(v.entries.map(([k, val]) => [String(k), toJson(val)]));
  }
  return v;
}

describe('codec against the OpenDHT 2.4.12 captures', () => {
  it('has all 24 vectors', () => assert.equal(vectors.length, 24));

  for (const v of vectors) {
    it(`decodes ${v.name}`, () => {
      const raw = decodeMsgpack(payload(v));
      assert.ok(raw.ok, raw.ok ? '' : raw.error.detail);
      assert.deepEqual(toJson(raw.value), v.decoded);
      const msg = decodeMessage(payload(v));
      assert.ok(msg.ok);
      if (v.decoded === 'q') {
        assert.deepEqual(msg.value, { type: 'query' });
        return;
      }
      assert.equal(msg.value.type, 'announcement');
      if (msg.value.type !== 'announcement') return;
      const decoded = v.decoded as Record<string, [{ bin_hex: string }, number | string, number?]>;
      assert.deepEqual(
        msg.value.services.map((s) => s.name),
        Object.keys(decoded),
      );
      for (const s of msg.value.services) {
        const expected = decoded[s.name];
        assert.ok(expected);
        if (s.name === 'dht') {
          const dht = decodeDhtService(s.value);
          assert.ok(dht.ok);
          assert.deepEqual(
            { id: hex(dht.value.nodeId), port: dht.value.port, net: dht.value.networkId },
            { id: expected[0].bin_hex, port: expected[1], net: expected[2] },
          );
        } else {
          const jami = decodeJamiService(s.value);
          assert.ok(jami.ok);
          assert.deepEqual({ id: hex(jami.value.accountId), name: jami.value.displayName }, { id: expected[0].bin_hex, name: expected[1] });
        }
      }
    });

    it(`re-encodes ${v.name} byte for byte`, () => {
      if (v.decoded === 'q') {
        assert.equal(hex(encodeQuery()), v.payload_hex);
        return;
      }
      const decoded = v.decoded as Record<string, [{ bin_hex: string }, number | string, number]>;
      const services = new Map<string, Uint8Array>();
      // Insert in reverse to prove that the encoder sorts service names itself.
      for (const [name, value] of Object.entries(decoded).reverse()) {
        services.set(
          name,
          name === 'dht'
            ? encodeDhtService({ nodeId: unhex(value[0].bin_hex), port: value[1] as number, networkId: value[2] })
            : encodeJamiService({ accountId: unhex(value[0].bin_hex), displayName: value[1] as string }),
        );
      }
      assert.equal(hex(encodeAnnouncement(services)), v.payload_hex);
    });
  }
});

describe('msgpack decoder', () => {
  const cases: Array<[string, unknown]> = [
    ['00', 0],
    ['7f', 127],
    ['ff', -1],
    ['e0', -32],
    ['c0', null],
    ['c2', false],
    ['c3', true],
    ['cc80', 128],
    ['cd1132', 4402],
    ['ceffffffff', 0xffffffff],
    ['cf0000000100000000', 2 ** 32],
    ['cfffffffffffffffff', 2n ** 64n - 1n],
    ['d080', -128],
    ['d1ff00', -256],
    ['d2ffffff00', -256],
    ['d3ffffffffffffff00', -256],
    ['ca3fc00000', 1.5],
    ['cb3ff8000000000000', 1.5],
    ['a0', ''],
    ['d90161', 'a'],
    ['da000161', 'a'],
    ['db0000000161', 'a'],
    ['c40101', { bin_hex: '01' }],
    ['c5000101', { bin_hex: '01' }],
    ['c600000000', { bin_hex: '' }],
    ['9100', [0]],
    ['dc000100', [0]],
    ['dd0000000100', [0]],
    ['81a16101', { a: 1 }],
    ['de0001a16101', { a: 1 }],
    ['df00000001a16101', { a: 1 }],
  ];
  for (const [input, expected] of cases) {
    it(`decodes ${input}`, () => {
      const res = decodeMsgpack(unhex(input));
      assert.ok(res.ok, res.ok ? '' : res.error.detail);
      assert.deepEqual(toJson(res.value), expected);
    });
  }

  it('decodes ext types as opaque values', () => {
    for (const input of ['d40102', 'd5010203', 'c70201aabb', 'c8000101aa', 'c90000000101aa']) {
      const res = decodeMsgpack(unhex(input));
      assert.ok(res.ok, input);
      assert.equal((res.value as { kind: string }).kind, 'ext');
    }
  });

  it('rejects truncated input, reserved bytes, trailing bytes and deep nesting', () => {
    for (const input of ['', 'cd11', 'a2 61'.replace(' ', ''), 'c405', '92 00'.replace(' ', ''), '82a16101', 'dc', 'c1', '0000']) {
      const res = decodeMsgpack(unhex(input));
      assert.equal(res.ok, false, input);
      if (!res.ok) assert.equal(res.error.code, 'malformed');
    }
    assert.equal(decodeMsgpack(unhex('91'.repeat(17) + '00')).ok, false);
    assert.equal(decodeMsgpack(unhex('91'.repeat(16) + '00')).ok, true);
  });

  it('does not allocate for counts the input cannot hold', () => {
    const res = decodeMsgpack(unhex('ddffffffff00'));
    assert.equal(res.ok, false);
    const map = decodeMsgpack(unhex('dfffffffff00'));
    assert.equal(map.ok, false);
  });

  it('encodes integers, strings and bins in their smallest form', () => {
    const w = new MsgWriter().uint(0).uint(127).uint(128).uint(255).uint(256).uint(65535).uint(65536).uint(0xffffffff);
    assert.equal(hex(w.bytes()), '007fcc80ccffcd0100cdffffce00010000ceffffffff');
    assert.equal(hex(new MsgWriter().str('x'.repeat(31)).bytes().subarray(0, 1)), 'bf');
    assert.equal(hex(new MsgWriter().str('x'.repeat(32)).bytes().subarray(0, 2)), 'd920');
    assert.equal(hex(new MsgWriter().str('x'.repeat(256)).bytes().subarray(0, 3)), 'da0100');
    assert.equal(hex(new MsgWriter().bin(new Uint8Array(256)).bytes().subarray(0, 3)), 'c50100');
    assert.equal(hex(new MsgWriter().array(16).map(16).bytes()), 'dc0010de0010');
  });
});

describe('discovery messages', () => {
  it('ignores other strings and non-map values', () => {
    const r1 = decodeMessage(unhex('a171'.replace('71', '72')));
    assert.equal(r1.ok || r1.error.code, 'unknown-string');
    const r2 = decodeMessage(unhex('9100'));
    assert.equal(r2.ok || r2.error.code, 'unexpected-type');
    const r3 = decodeMessage(unhex('2a'));
    assert.equal(r3.ok || r3.error.code, 'unexpected-type');
  });

  it('skips map entries with non-string keys', () => {
    const res = decodeMessage(unhex('82' + '0100' + 'a3646874' + '00'));
    assert.ok(res.ok && res.value.type === 'announcement');
    if (res.ok && res.value.type === 'announcement')
      assert.deepEqual(
        res.value.services.map((s) => s.name),
        ['dht'],
      );
  });

  const id = 'c414' + '11'.repeat(20);
  it('accepts a dht value with extra elements or no network id, like msgpack-c', () => {
    const extra = decodeDhtService(must(`94${id}cd10cd07c0`));
    assert.ok(extra.ok);
    assert.deepEqual([extra.value.port, extra.value.networkId], [4301, 7]);
    const short = decodeDhtService(must(`92${id}cd10cd`));
    assert.ok(short.ok);
    assert.equal(short.value.networkId, 0);
  });

  it('rejects dht values of the wrong shape', () => {
    for (const bad of [
      `92${id}00`, // port 0
      `91${id}`, // no port
      `93${id}ce0001000000`, // port > 65535
      `93${id}ff00`, // negative port
      `93${id}cd10cdff`, // negative network id
      `93c413${'11'.repeat(19)}cd10cd00`, // 19-byte id
      `93b4${'31'.repeat(20)}cd10cd00`, // id as str
      `a3646874`, // not an array
    ]) {
      const res = decodeDhtService(must(bad));
      assert.equal(res.ok, false, bad);
    }
  });

  it('decodes jami values: empty name, bin name, missing name; rejects bad ids and names', () => {
    const empty = decodeJamiService(must(`92${id}a0`));
    assert.ok(empty.ok && empty.value.displayName === '');
    const bin = decodeJamiService(must(`92${id}c4024869`));
    assert.ok(bin.ok && bin.value.displayName === 'Hi');
    const missing = decodeJamiService(must(`91${id}`));
    assert.ok(missing.ok && missing.value.displayName === '');
    assert.equal(decodeJamiService(must(`92${id}01`)).ok, false);
    assert.equal(decodeJamiService(must(`92c0a0`)).ok, false);
    assert.equal(decodeJamiService(must(`c0`)).ok, false);
  });

  it('round-trips long UTF-8 display names', () => {
    const accountId = new Uint8Array(20).fill(9);
    const displayName = 'Zoë 🎉 '.repeat(40);
    const res = decodeJamiService(must(hex(encodeJamiService({ accountId, displayName }))));
    assert.ok(res.ok);
    assert.equal(res.value.displayName, displayName);
  });
});

function must(h: string): MsgValue {
  const res = decodeMsgpack(unhex(h));
  if (!res.ok) throw new Error(`bad test input ${h}`);
  return res.value;
}

describe('fuzzing', () => {
  const decodeAll = (bytes: Uint8Array): void => {
    const msg = decodeMessage(bytes);
    assert.equal(typeof msg.ok, 'boolean');
    if (msg.ok && msg.value.type === 'announcement') {
      for (const s of msg.value.services) {
        assert.equal(typeof decodeDhtService(s.value).ok, 'boolean');
        assert.equal(typeof decodeJamiService(s.value).ok, 'boolean');
      }
    }
  };

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => decodeAll(b)),
      { numRuns: fuzzRuns(5000), seed: 1 },
    );
  });

  it('never throws on mutated vectors', () => {
    const seeds = vectors.map(payload);
    const mutated = fc
      .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat({ max: 80 }))
      .map(([seed, edits, cut]) => {
        const b = seed.slice(0, Math.max(1, seed.length - (cut % seed.length)));
        for (const [at, val] of edits) b[at % b.length] = val;
        return b;
      });
    fc.assert(
      fc.property(mutated, (b) => decodeAll(b)),
      { numRuns: fuzzRuns(5000), seed: 2 },
    );
  });

  it('round-trips arbitrary dht and jami services', () => {
    const service = fc.record({
      nodeId: fc.uint8Array({ minLength: 20, maxLength: 20 }),
      port: fc.integer({ min: 1, max: 65535 }),
      networkId: fc.integer({ min: 0, max: 0xffffffff }),
      accountId: fc.uint8Array({ minLength: 20, maxLength: 20 }),
      displayName: fc.string({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(service, (s) => {
        const bytes = encodeAnnouncement(
          new Map([
            ['jami', encodeJamiService(s)],
            ['dht', encodeDhtService(s)],
          ]),
        );
        const msg = decodeMessage(bytes);
        assert.ok(msg.ok && msg.value.type === 'announcement');
        if (!msg.ok || msg.value.type !== 'announcement') return;
        assert.deepEqual(
          msg.value.services.map((x) => x.name),
          ['dht', 'jami'],
        );
        const [dhtEntry, jamiEntry] = msg.value.services;
        const dht = decodeDhtService(dhtEntry?.value ?? null);
        const jami = decodeJamiService(jamiEntry?.value ?? null);
        assert.ok(dht.ok && jami.ok);
        assert.deepEqual(dht.value, { nodeId: s.nodeId, port: s.port, networkId: s.networkId });
        // Lone surrogates cannot survive UTF-8; compare with what the encoder wrote.
        assert.equal(jami.value.displayName, new TextDecoder().decode(new TextEncoder().encode(s.displayName)));
      }),
      { numRuns: fuzzRuns(1000), seed: 3 },
    );
  });
});

it('query vector sanity: the query is two bytes', () => {
  assert.equal(vector('01_').payload_hex, 'a171');
});
