/**
 * Codec rules one by one: msgpack widths and bounds, OpenDHT's acceptance rules for datagrams,
 * node lists, ids, value accounting and the reassembler's ordering, time and memory bounds.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  commonBits,
  decodeMessage,
  decodeNodeList,
  decodeValue,
  encodeMessage,
  encodeNodeList,
  encodeValue,
  fragmentValues,
  infoHashFromHex,
  makeValue,
  needsFragmentation,
  randomIdWithPrefix,
  Reassembler,
  sha1,
  toHex,
  valueSize,
  xorCompare,
  type Message,
  type Value,
} from '../src/codec/index.js';
import { decodeMsgpack, MsgFloat, MsgMap, type MsgValue } from '../src/codec/msgpack/reader.js';
import { Writer, writeValue } from '../src/codec/msgpack/writer.js';
import { encodeMessageLent, releaseEncodeBuffer } from '../src/codec/encode.js';

const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ID_A = infoHashFromHex('e84bdfda2b070921d5719686a9c7763169114ee4');
const ID_B = infoHashFromHex('b3e9b2116470390a48dcc862261b072764eded5f');

/** Encode a msgpack tree written as nested JS (objects → str-keyed maps in key order). */
type Tree = MsgValue | { [k: string]: Tree } | Tree[];
function mp(t: Tree): Uint8Array {
  const toMsg = (x: Tree): MsgValue => {
    if (x === null || typeof x !== 'object' || x instanceof Uint8Array || x instanceof MsgMap || x instanceof MsgFloat) {
      return x as MsgValue;
    }
    if (Array.isArray(x)) return x.map(toMsg);
    const keys = Object.keys(x);
    return new MsgMap(
      keys,
      keys.map((k) => toMsg((x as Record<string, Tree>)[k]!)),
      0,
      0,
    );
  };
  const w = new Writer();
  writeValue(w, toMsg(t));
  return w.finish();
}

function decodeOk(bytes: Uint8Array): Message {
  const r = decodeMessage(bytes);
  assert.ok(r.ok, r.ok ? '' : r.error.reason);
  return r.value;
}

function decodeFails(bytes: Uint8Array, why?: RegExp): void {
  const r = decodeMessage(bytes);
  assert.equal(r.ok, false, 'expected the datagram to be refused');
  if (why && !r.ok) assert.match(r.error.reason, why);
}

const ping = (extra: Record<string, Tree> = {}, args: Record<string, Tree> = { id: ID_B }): Uint8Array =>
  mp({ a: args, q: 'ping', t: 7, y: 'q', v: 'RNG1', ...extra });

describe('msgpack reader and writer', () => {
  it('reads every integer width, signed formats holding non-negative values included', () => {
    const cases: Array<[string, number | bigint]> = [
      ['05', 5],
      ['cc05', 5],
      ['cd0005', 5],
      ['ce00000005', 5],
      ['cf0000000000000005', 5],
      ['d005', 5],
      ['d10005', 5],
      ['d200000005', 5],
      ['d30000000000000005', 5],
      ['ff', -1],
      ['d0ff', -1],
      ['cf001fffffffffffff', Number.MAX_SAFE_INTEGER],
      ['cf0020000000000000', 2n ** 53n],
      ['cfffffffffffffffff', 2n ** 64n - 1n],
    ];
    for (const [bytes, value] of cases) assert.equal(decodeMsgpack(h(bytes))?.value, value, bytes);
    assert.ok(decodeMsgpack(h('cb3ff0000000000000'))?.value instanceof MsgFloat);
  });

  it('writes the smallest integer encoding at every boundary', () => {
    const cases: Array<[number | bigint, string]> = [
      [0, '00'],
      [127, '7f'],
      [128, 'cc80'],
      [255, 'ccff'],
      [256, 'cd0100'],
      [65535, 'cdffff'],
      [65536, 'ce00010000'],
      [0xffffffff, 'ceffffffff'],
      [0x100000000, 'cf0000000100000000'],
      [5n, '05'],
      [0xffffffffn, 'ceffffffff'],
      [2n ** 64n - 1n, 'cfffffffffffffffff'],
    ];
    for (const [v, bytes] of cases) {
      const w = new Writer();
      w.uint(v);
      assert.equal(hex(w.finish()), bytes, String(v));
    }
  });

  it('uses fixstr/str8/str16 and bin8/bin16 like msgpack-c', () => {
    const str = (n: number) => {
      const w = new Writer();
      w.str('x'.repeat(n));
      return hex(w.finish()).slice(0, 6);
    };
    assert.equal(str(31).slice(0, 2), 'bf');
    assert.equal(str(32).slice(0, 4), 'd920');
    assert.equal(str(256), 'da0100');
    const bin = (n: number) => {
      const w = new Writer();
      w.bin(new Uint8Array(n));
      return hex(w.finish()).slice(0, 6);
    };
    assert.equal(bin(20).slice(0, 4), 'c414');
    assert.equal(bin(2120), 'c50848');
    // str and bin stay distinct on read.
    assert.equal(decodeMsgpack(h('a3616263'))?.value, 'abc');
    assert.deepEqual(decodeMsgpack(h('c403616263'))?.value, Uint8Array.of(0x61, 0x62, 0x63));
  });

  it('refuses a header claiming 2^32-1 elements in a 50-byte datagram at once', () => {
    for (const header of ['dd', 'df', 'db', 'c6']) {
      const bytes = new Uint8Array(50);
      bytes.set(h(`${header}ffffffff`));
      const start = process.hrtime.bigint();
      assert.equal(decodeMsgpack(bytes), undefined, header);
      assert.ok(process.hrtime.bigint() - start < 5_000_000n, 'fails fast');
      assert.equal(decodeMessage(bytes).ok, false);
    }
    // A map whose declared entries need more bytes than remain.
    assert.equal(decodeMsgpack(h('8f01')), undefined);
  });

  it('limits nesting depth and rejects reserved or truncated input', () => {
    assert.ok(decodeMsgpack(h('91'.repeat(32) + '00')));
    assert.equal(decodeMsgpack(h('91'.repeat(33) + '00')), undefined);
    assert.equal(decodeMsgpack(h('91'.repeat(10000) + '00')), undefined);
    assert.equal(decodeMsgpack(h('c1')), undefined);
    assert.equal(decodeMsgpack(h('cd01')), undefined);
    assert.equal(decodeMsgpack(h('c40501')), undefined);
    assert.equal(decodeMsgpack(new Uint8Array(0)), undefined);
  });

  it('remembers the byte span of maps (used for Value.packed)', () => {
    const bytes = h('92 00 81 a1 61 01');
    const arr = decodeMsgpack(bytes)?.value as MsgValue[];
    const m = arr[1] as MsgMap;
    assert.equal(m.start, 2);
    assert.equal(m.end, 6);
    assert.equal(m.get('a'), 1);
  });
});

describe('decodeMessage: OpenDHT acceptance rules', () => {
  it('reads t as an integer, as 4 bytes (bin or str, big-endian), or 0 when absent', () => {
    assert.equal(decodeOk(ping()).tid, 7);
    const bin = decodeOk(ping({ t: Uint8Array.of(1, 2, 3, 4) }));
    assert.equal(bin.tid, 0x01020304);
    assert.equal(bin.tidAsBin, true);
    assert.equal(decodeOk(ping({ t: 'abcd' })).tid, 0x61626364);
    const noT = mp({ a: { id: ID_B }, q: 'ping', y: 'q' });
    assert.equal(decodeOk(noT).tid, 0);
    decodeFails(ping({ t: 2 ** 32 }), /t/);
    decodeFails(ping({ t: Uint8Array.of(1, 2, 3) }), /t/);
    decodeFails(ping({ t: -1 }), /t/);
  });

  it('accepts requests without y and drops a non-"q" y without r/e/p/u', () => {
    const noY = mp({ a: { id: ID_B }, q: 'ping', t: 1 });
    assert.equal(decodeOk(noY).kind, 'request');
    decodeFails(ping({ y: 'r' }), /y/);
  });

  it('drops unknown or missing query names', () => {
    decodeFails(ping({ q: 'announce_peer' }), /query/);
    decodeFails(mp({ a: { id: ID_B }, t: 1, y: 'q' }), /query/);
    decodeFails(ping({ q: Uint8Array.of(1) }), /q/);
  });

  it('classifies e, then r, then p, then u (first match wins)', () => {
    const err = { e: [401, 'x'], r: { id: ID_A }, p: new MsgMap([], [], 0, 0), u: { id: ID_A }, t: 1, y: 'e' };
    assert.equal(decodeOk(mp(err)).kind, 'error');
    const { e: _e, ...reply } = err;
    assert.equal(decodeOk(mp(reply)).kind, 'reply');
    const { r: _r, ...part } = reply;
    assert.equal(decodeOk(mp(part)).kind, 'value-part');
    const { p: _p, ...upd } = part;
    assert.equal(decodeOk(mp(upd)).kind, 'legacy-update');
  });

  it('needs a non-zero 20-byte bin id in requests, replies, errors and u', () => {
    decodeFails(ping({}, { id: Buffer.from(ID_B).toString('latin1') }), /id/);
    decodeFails(ping({}, { id: ID_B.subarray(0, 19) }), /id/);
    decodeFails(ping({}, { id: new Uint8Array(20) }), /zero/);
    decodeFails(ping({}, {}), /id/);
    decodeFails(mp({ r: { sa: Uint8Array.of(1, 2, 3, 4) }, t: 1, y: 'r' }), /id/);
    decodeFails(mp({ e: [203, 'x'], t: 1, y: 'e' }), /r\.id/);
    decodeFails(mp({ u: { re: [1] }, t: 1, y: 'r' }), /id/);
  });

  it('drops datagrams whose body or arguments are not maps', () => {
    decodeFails(mp([1, 2]), /not a map/);
    decodeFails(mp({ a: [1], q: 'ping', t: 1 }), /a/);
    decodeFails(mp({ r: 5, t: 1 }), /r/);
    decodeFails(mp({ e: [], r: { id: ID_A }, t: 1 }), /e/);
    decodeFails(mp({ e: 'oops', r: { id: ID_A }, t: 1 }), /e/);
  });

  it('requires both s and w in a query', () => {
    const get = (q: Tree) => mp({ a: { id: ID_B, h: ID_A, q }, q: 'get', t: 1, y: 'q' });
    decodeFails(get({ s: [1] }), /s and w/);
    decodeFails(get({ w: [] }), /s and w/);
    decodeFails(get({ s: [1], w: [{ f: 9, v: 1 }] }), /unknown field/);
    const ok = decodeOk(
      get({
        s: [],
        w: [
          { f: 1, v: 5 },
          { f: 2, v: 8 },
          { f: 5, v: 'text/plain' },
          { f: 3, v: ID_A },
        ],
      }),
    );
    assert.ok(ok.kind === 'request' && ok.request.type === 'get');
    assert.deepEqual(ok.request.query?.where, [
      { field: 1, value: 5n },
      { field: 2, value: 8 },
      { field: 5, value: Uint8Array.from(Buffer.from('text/plain')) },
      { field: 3, value: ID_A },
    ]);
  });

  it('maps w families 2/10 to 4/6 and ignores other numbers', () => {
    const find = (w?: Tree) => mp({ a: { id: ID_B, target: ID_A, ...(w ? { w } : {}) }, q: 'find', t: 1 });
    const want = (m: Message) => (m.kind === 'request' && m.request.type === 'find' ? m.request.want : null);
    assert.deepEqual(want(decodeOk(find([2, 10]))), [4, 6]);
    assert.deepEqual(want(decodeOk(find([10]))), [6]);
    assert.deepEqual(want(decodeOk(find([23, 30]))), []);
    assert.equal(want(decodeOk(find())), undefined);
    decodeFails(find(2), /w/);
    // A find without target reads the zero id.
    const noTarget = decodeOk(mp({ a: { id: ID_B }, q: 'find', t: 1 }));
    assert.ok(noTarget.kind === 'request' && noTarget.request.type === 'find');
    assert.equal(hex(noTarget.request.target), '00'.repeat(20));
  });

  it('reads sa of 4 or 16 bytes as text, ignores other lengths, refuses a non-bin sa', () => {
    const pong = (sa: Tree) => mp({ r: { id: ID_A, sa }, t: 1, y: 'r' });
    const seen = (m: Message) => (m.kind === 'reply' ? m.reply.seenAddress : null);
    assert.equal(seen(decodeOk(pong(Uint8Array.of(192, 168, 1, 20)))), '192.168.1.20');
    assert.equal(seen(decodeOk(pong(h('20010db8000000000000000000000001')))), '2001:db8::1');
    assert.equal(seen(decodeOk(pong(Uint8Array.of(1, 2, 3, 4, 5)))), undefined);
    decodeFails(pong('1.2.3.4'), /sa/);
  });

  it('refuses node lists that are not whole records', () => {
    const reply = (k: string, n: number) => mp({ r: { id: ID_A, [k]: new Uint8Array(n), token: Uint8Array.of(1) }, t: 1 });
    decodeFails(reply('n4', 25), /n4/);
    decodeFails(reply('n4', 38), /n4/);
    decodeFails(reply('n6', 26), /n6/);
    const ok = decodeOk(reply('n6', 76));
    assert.ok(ok.kind === 'reply');
    assert.equal(ok.reply.nodes6?.length, 2);
  });

  it('reads network id n and the client flag s, and omits them when 0/false', () => {
    const m = decodeOk(ping({ n: 7, s: true }));
    assert.equal(m.networkId, 7);
    assert.equal(m.client, true);
    assert.equal(hex(encodeMessage(m)), hex(ping({ n: 7, s: true })));
    const plain = encodeMessage({ ...m, networkId: 0, client: false });
    assert.equal(hex(plain), hex(ping()));
    decodeFails(ping({ s: 1 }), /s/);
    decodeFails(ping({ n: 'x' }), /n/);
  });

  it('errors carry code, message and r.id', () => {
    const m = decodeOk(mp({ e: [404, 'Access operation for unknown storage'], r: { id: ID_A }, t: 3, y: 'e', v: 'RNG1' }));
    assert.deepEqual(m, {
      tid: 3,
      userAgent: 'RNG1',
      networkId: 0,
      client: false,
      kind: 'error',
      error: { id: ID_A, code: 404, message: 'Access operation for unknown storage' },
    });
  });

  it('value parts use integer map keys and keep them on re-encoding', () => {
    const bytes = mp({ y: 'p', t: 9, p: new MsgMap([0, 3], [new MsgMap(['o', 'd'], [1280, Uint8Array.of(1)], 0, 0), new MsgMap(['o'], [0], 0, 0)], 0, 0) });
    const m = decodeOk(bytes);
    assert.ok(m.kind === 'value-part');
    // The entry without `d` is skipped, as OpenDHT does.
    assert.deepEqual(m.parts, [{ index: 0, offset: 1280, data: Uint8Array.of(1) }]);
    decodeFails(mp({ y: 'p', t: 9, p: new MsgMap(['x'], [new MsgMap(['o', 'd'], [0, Uint8Array.of(1)], 0, 0)], 0, 0) }), /index/);
  });

  it('refuses fileds with no field ids and sorts/dedupes the field set', () => {
    const reply = (f: Tree, v: Tree) => mp({ r: { id: ID_A, token: Uint8Array.of(1), fileds: { f, v } }, t: 1 });
    decodeFails(reply([], []), /empty f/);
    const m = decodeOk(reply([4, 1, 4], [7, 0, 8, 2, 9]));
    assert.ok(m.kind === 'reply');
    assert.deepEqual(m.reply.fields, { fields: [1, 4], values: [7n, 0, 8n, 2] });
  });

  it('skips invalid values, refuses lists mixing sizes and values', () => {
    const good = { id: 5, dat: { body: { type: 0, data: Uint8Array.of(1) } } };
    const noDat = { id: 6, x: 1 };
    const ownerNoSig = { id: 7, dat: { body: { seq: 0, owner: Uint8Array.of(1), type: 0, data: Uint8Array.of(1) } } };
    const m = decodeOk(mp({ a: { id: ID_B, h: ID_A, values: [good, noDat, ownerNoSig, 'junk'], token: Uint8Array.of(1) }, q: 'put', t: 1 }));
    assert.ok(m.kind === 'request' && m.request.type === 'put' && m.request.values.kind === 'inline');
    assert.deepEqual(
      m.request.values.values.map((v) => v.id),
      [5n],
    );
    decodeFails(mp({ a: { id: ID_B, h: ID_A, values: [100, good] }, q: 'put', t: 1 }), /mixed/);
    decodeFails(mp({ a: { id: ID_B, h: ID_A, values: [good, 100] }, q: 'put', t: 1 }), /mixed/);
    decodeFails(mp({ a: { id: ID_B, h: ID_A, values: 'x' }, q: 'put', t: 1 }), /values/);
  });

  it('keeps a value id 0 (the node answers it with error 203)', () => {
    const m = decodeOk(mp({ a: { id: ID_B, h: ID_A, values: [{ id: 0, dat: { body: { type: 0, data: Uint8Array.of(1) } } }] }, q: 'put', t: 1 }));
    assert.ok(m.kind === 'request' && m.request.type === 'put' && m.request.values.kind === 'inline');
    assert.equal(m.request.values.values[0]?.id, 0n);
  });
});

describe('encodeMessage: OpenDHT key order', () => {
  const env = { tid: 5, userAgent: 'o2', networkId: 0, client: false };
  const keysOf = (bytes: Uint8Array, inner?: string): string[] => {
    const m = decodeMsgpack(bytes)!.value as MsgMap;
    const target = inner ? (m.get(inner) as MsgMap) : m;
    return target.keys as string[];
  };

  it('orders re/exp updates as a y v q t and legacy u as u y v t', () => {
    const upd = encodeMessage({ ...env, kind: 'request', request: { type: 'update', id: ID_A, socketId: 9, token: Uint8Array.of(1), expired: [3n] } });
    assert.deepEqual(keysOf(upd), ['a', 'y', 'v', 'q', 't']);
    assert.deepEqual(keysOf(upd, 'a'), ['id', 'sid', 'token', 'exp']);
    const u = encodeMessage({ ...env, kind: 'legacy-update', update: { id: ID_A, token: Uint8Array.of(1), refreshed: [3n] } });
    assert.deepEqual(keysOf(u), ['u', 'y', 'v', 't']);
  });

  it('orders requests, replies, errors and value parts as OpenDHT does', () => {
    const withNet = { ...env, networkId: 3, client: true };
    const listen = encodeMessage({
      ...withNet,
      kind: 'request',
      request: { type: 'listen', id: ID_A, key: ID_B, token: Uint8Array.of(1), socketId: 4, version: 1, query: { select: [], where: [] } },
    });
    assert.deepEqual(keysOf(listen), ['a', 'q', 't', 'y', 'v', 'n', 's']);
    assert.deepEqual(keysOf(listen, 'a'), ['id', 've', 'h', 'token', 'sid', 'q']);
    const reply = encodeMessage({
      ...env,
      kind: 'reply',
      reply: {
        id: ID_A,
        seenAddress: '::1',
        nodes4: [{ id: ID_B, address: '10.0.0.1', port: 4222 }],
        nodes6: [],
        token: Uint8Array.of(1),
        fields: { fields: [1], values: [3n] },
      },
    });
    assert.deepEqual(keysOf(reply), ['r', 't', 'y', 'v']);
    assert.deepEqual(keysOf(reply, 'r'), ['id', 'sa', 'n4', 'token', 'fileds']);
    const ack = encodeMessage({ ...env, kind: 'reply', reply: { id: ID_A, seenAddress: '10.1.2.3', valueId: 2n ** 63n } });
    assert.deepEqual(keysOf(ack, 'r'), ['id', 'vid', 'sa']);
    const err = encodeMessage({ ...env, kind: 'error', error: { id: ID_A, code: 401, message: 'Put with wrong token' } });
    assert.deepEqual(keysOf(err), ['e', 'r', 't', 'y', 'v']);
    const part = encodeMessage({ ...withNet, kind: 'value-part', parts: [{ index: 0, offset: 0, data: Uint8Array.of(1) }] });
    assert.deepEqual(keysOf(part), ['n', 's', 'y', 't', 'p']);
  });
});

describe('node lists', () => {
  it('round-trips IPv4 and IPv6 records and skips records of the wrong family', () => {
    const nodes = [
      { id: ID_A, address: '127.0.0.1', port: 47101 },
      { id: ID_B, address: '::ffff:10.0.0.2', port: 1 },
      { id: ID_B, address: '::1', port: 2 },
      { id: ID_B, address: 'not-an-ip', port: 3 },
    ];
    const n4 = encodeNodeList(4, nodes);
    assert.equal(n4.length, 52);
    const back4 = decodeNodeList(4, n4);
    assert.ok(back4.ok);
    assert.deepEqual(back4.value, [nodes[0], { id: ID_B, address: '10.0.0.2', port: 1 }]);
    const n6 = encodeNodeList(6, nodes);
    const back6 = decodeNodeList(6, n6);
    assert.ok(back6.ok);
    assert.deepEqual(
      back6.value.map((n) => n.address),
      ['::ffff:10.0.0.2', '::1'],
    );
    assert.equal(decodeNodeList(4, new Uint8Array(27)).ok, false);
    assert.equal(decodeNodeList(6, new Uint8Array(39)).ok, false);
  });
});

describe('info hashes', () => {
  it('hashes strings like OpenDHT and compares XOR distances big-endian', () => {
    assert.equal(toHex(sha1('listenkey')), 'f27639f5b317727dee62eb2f9d453f82c91f6b78');
    const target = new Uint8Array(20);
    const near = new Uint8Array(20);
    near[19] = 1;
    const far = new Uint8Array(20);
    far[0] = 1;
    assert.ok(xorCompare(near, far, target) < 0);
    assert.ok(xorCompare(far, near, target) > 0);
    assert.equal(xorCompare(near, near, target), 0);
    assert.equal(commonBits(near, far), 7);
    assert.equal(commonBits(near, near), 160);
    assert.equal(commonBits(target, near), 159);
    assert.throws(() => infoHashFromHex('xyz'), RangeError);
  });

  it('draws random ids inside a prefix', () => {
    let seed = 1;
    const rng = (n: number) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    for (const bits of [0, 1, 7, 8, 13, 159, 160]) {
      const id = randomIdWithPrefix(ID_A, bits, rng);
      assert.ok(commonBits(id, ID_A) >= bits, `prefix ${bits}`);
    }
  });
});

describe('values', () => {
  it('encodes canonically and accounts size like OpenDHT (owner not counted)', () => {
    const v = makeValue({
      id: 2n ** 64n - 1n,
      body: { seq: 1, owner: new Uint8Array(300), type: 3, data: new Uint8Array(10), userType: 'text/plain' },
      signature: new Uint8Array(64),
      priority: 2,
      pushType: 'ab',
    });
    assert.equal(valueSize(v), 10 + 64 + 10 + 2);
    const back = decodeValue(v.packed);
    assert.ok(back.ok);
    assert.deepEqual(back.value, v);
    const enc = makeValue({ id: 9n, cypher: new Uint8Array(100) });
    assert.equal(valueSize(enc), 100);
    assert.equal(hex(encodeValue(enc)), hex(enc.packed));
    assert.equal(decodeValue(h('81a2696401')).ok, false);
    assert.equal(decodeValue(h('82a2696401a3646174c0')).ok, false);
  });
});

describe('fragmentation and reassembly', () => {
  const mkValue = (id: bigint, size: number): Value => makeValue({ id, body: { type: 0, data: new Uint8Array(size).fill(Number(id) & 0xff) } });
  const header = (sizes: number[], tid = 77): Message => ({
    tid,
    userAgent: 'o2',
    networkId: 0,
    client: false,
    kind: 'request',
    request: { type: 'put', id: ID_A, key: ID_B, values: { kind: 'fragmented', sizes }, token: Uint8Array.of(1) },
  });
  const partMsg = (tid: number, parts: Message extends infer M ? (M extends { kind: 'value-part'; parts: infer P } ? P : never) : never): Message => ({
    tid,
    networkId: 0,
    client: false,
    kind: 'value-part',
    parts,
  });

  it('fragments at 600 packed bytes or 50 values, in 1280-byte parts', () => {
    const small = mkValue(1n, 10);
    // Only the packed length matters: 49 one-byte values stay inline, 50 do not.
    const tiny = { ...small, packed: new Uint8Array(1) };
    assert.equal(needsFragmentation(Array(49).fill(tiny)), false);
    assert.equal(needsFragmentation(Array(50).fill(tiny)), true);
    // The data size whose packed value is exactly 600 bytes (the bin header grows at 256).
    let n = 0;
    while (mkValue(1n, n + 1).packed.length <= 600) n++;
    assert.equal(mkValue(1n, n).packed.length, 600);
    assert.equal(needsFragmentation([mkValue(1n, n - 1)]), false);
    assert.equal(needsFragmentation([mkValue(1n, n)]), true);
    const big = mkValue(2n, 3000);
    const { sizes, parts } = fragmentValues([big, small]);
    assert.deepEqual(sizes, [big.packed.length, small.packed.length]);
    assert.deepEqual(
      parts.map((p) => [p.index, p.offset, p.data.length]),
      [
        [0, 0, 1280],
        [0, 1280, 1280],
        [0, 2560, big.packed.length - 2560],
        [1, 0, small.packed.length],
      ],
    );
  });

  it('reassembles out-of-order parts and parts that came before the header', () => {
    const now = { t: 0 };
    const r = new Reassembler({}, { clock: { now: () => now.t } });
    const a = mkValue(3n, 3000);
    const b = mkValue(4n, 700);
    const { sizes, parts } = fragmentValues([a, b]);
    assert.equal(parts.length, 4);
    assert.equal(r.push('x', partMsg(77, [parts[3]!])).status, 'pending'); // before the header
    assert.equal(r.stats().earlyParts, 1);
    assert.equal(r.push('x', header(sizes)).status, 'pending');
    for (const i of [2, 0]) assert.equal(r.push('x', partMsg(77, [parts[i]!])).status, 'pending');
    const done = r.push('x', partMsg(77, [parts[1]!]));
    assert.ok(done.status === 'complete');
    assert.deepEqual(
      done.values.map((v) => hex(v.packed)),
      [hex(a.packed), hex(b.packed)],
    );
    assert.ok(done.message.kind === 'request' && done.message.request.type === 'put');
    assert.equal(done.message.request.values.kind, 'inline');
    assert.deepEqual(r.stats(), {
      pending: 0,
      bufferedBytes: 0,
      earlyParts: 0,
      earlyBytes: 0,
      completed: 1,
      timedOut: 0,
      droppedHeaders: 0,
      droppedParts: 0,
      invalidValues: 0,
    });
  });

  it('keys contexts by source and tid, ignores duplicates and refuses overlaps', () => {
    const r = new Reassembler({}, { clock: { now: () => 0 } });
    const v = mkValue(5n, 2000);
    const { sizes, parts } = fragmentValues([v]);
    r.push('x', header(sizes));
    assert.equal(r.push('y', partMsg(77, [parts[0]!])).status, 'pending'); // other source: early part
    assert.equal(r.push('x', partMsg(78, [parts[0]!])).status, 'pending'); // other tid
    r.push('x', partMsg(77, [parts[0]!]));
    r.push('x', partMsg(77, [parts[0]!])); // duplicate (retransmission)
    r.push('x', partMsg(77, [{ index: 0, offset: 100, data: new Uint8Array(10) }])); // overlap
    r.push('x', partMsg(77, [{ index: 5, offset: 0, data: new Uint8Array(10) }])); // unknown index
    r.push('x', partMsg(77, [{ index: 0, offset: sizes[0]! - 1, data: new Uint8Array(10) }])); // past the end
    assert.equal(r.stats().droppedParts, 3);
    const done = r.push('x', partMsg(77, [parts[1]!]));
    assert.ok(done.status === 'complete');
    assert.equal(hex(done.values[0]!.packed), hex(v.packed));
  });

  it('expires after 3 s between parts and 10 s in total', () => {
    const now = { t: 0 };
    const r = new Reassembler({}, { clock: { now: () => now.t } });
    const { sizes, parts } = fragmentValues([mkValue(6n, 6000)]);
    r.push('x', header(sizes));
    now.t = 3001;
    assert.equal(r.push('x', partMsg(77, [parts[0]!])).status, 'dropped');
    assert.equal(r.stats().timedOut, 1);

    r.push('x', header(sizes, 78));
    for (let i = 0; i < parts.length - 1; i++) {
      now.t += 2500;
      assert.equal(r.push('x', partMsg(78, [parts[i]!])).status, 'pending');
    }
    now.t += 2500; // 12.5 s after the header
    assert.equal(r.push('x', partMsg(78, [parts[parts.length - 1]!])).status, 'dropped');

    r.push('x', header(sizes, 79));
    now.t += 3001;
    r.tick();
    assert.equal(r.stats().pending, 0);
    assert.equal(r.stats().bufferedBytes, 0);
    assert.equal(r.stats().timedOut, 3);
  });

  it('bounds pending contexts, buffered bytes and early parts', () => {
    const r = new Reassembler({ maxPending: 2, maxBufferedBytes: 10_000, maxEarlyParts: 3 }, { clock: { now: () => 0 } });
    assert.equal(r.push('a', header([4000], 1)).status, 'pending');
    assert.equal(r.push('a', header([4000], 2)).status, 'pending');
    assert.equal(r.push('a', header([100], 3)).status, 'dropped');
    const r2 = new Reassembler({ maxBufferedBytes: 10_000 }, { clock: { now: () => 0 } });
    assert.equal(r2.push('a', header([6000], 1)).status, 'pending');
    assert.equal(r2.push('a', header([6000], 2)).status, 'dropped');
    for (let i = 0; i < 5; i++) r.push('b', partMsg(i, [{ index: 0, offset: 0, data: new Uint8Array(5) }]));
    assert.equal(r.stats().earlyParts, 3);
    assert.equal(r.stats().earlyBytes, 15);
    assert.equal(r.stats().droppedParts, 2);
    const r3 = new Reassembler({ maxEarlyBytes: 2000 }, { clock: { now: () => 0 } });
    r3.push('b', partMsg(1, [{ index: 0, offset: 0, data: new Uint8Array(1280) }]));
    r3.push('b', partMsg(2, [{ index: 0, offset: 0, data: new Uint8Array(1280) }]));
    assert.deepEqual([r3.stats().earlyParts, r3.stats().earlyBytes, r3.stats().droppedParts], [1, 1280, 1]);
  });

  it('ignores oversize declared values: a header with only those completes with no values', () => {
    const r = new Reassembler({}, { clock: { now: () => 0 } });
    const res = r.push('a', header([65536 + 33]));
    assert.ok(res.status === 'complete');
    assert.equal(res.values.length, 0);
    assert.equal(r.stats().pending, 0);
    // A message without fragmented values passes straight through.
    const plain = decodeOk(ping());
    const through = r.push('a', plain);
    assert.ok(through.status === 'complete' && through.message === plain);
  });
});

describe('encodeMessageLent: replies encoded without a copy', () => {
  const id = new Uint8Array(20).fill(5);
  const pong = (tid: number): Message => ({ kind: 'reply', tid, userAgent: 'RNG1', networkId: 0, client: false, reply: { id, seenAddress: '10.0.0.1' } });

  it('gives the same bytes as encodeMessage, valid until the next encode', () => {
    const lent = encodeMessageLent(pong(1));
    assert.deepEqual(Uint8Array.from(lent), encodeMessage(pong(1)));
    // The next encode reuses the buffer: a lent view is not for keeping.
    const again = encodeMessageLent(pong(2));
    assert.equal(again.buffer, lent.buffer);
  });

  it('leaves a view alone once the buffer is released (a send the socket queued)', () => {
    const kept = encodeMessageLent(pong(3));
    const copy = Uint8Array.from(kept);
    releaseEncodeBuffer();
    const next = encodeMessageLent(pong(4));
    assert.notEqual(next.buffer, kept.buffer);
    assert.deepEqual(Uint8Array.from(kept), copy);
    const decoded = decodeMessage(kept);
    assert.ok(decoded.ok);
    assert.equal(decoded.value.tid, 3);
  });
});
