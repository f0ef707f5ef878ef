/**
 * Every captured OpenDHT 2.4.12 / 4.3.1 datagram: decode → typed message matching the vector's
 * `decoded` JSON, encode → the identical bytes; fragment headers reassembled from their part
 * files and re-fragmented into identical part datagrams.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import {
  decodeMessage,
  encodeMessage,
  encodeValue,
  fragmentValues,
  needsFragmentation,
  Reassembler,
  type Message,
  type Value,
  type ValueList,
  type NodeRecord,
  type Query,
} from '../src/codec/index.js';
import { Writer, writeValue } from '../src/codec/msgpack/writer.js';
import { binOf, hex, intOf, isObject, jsonToMsg, loadVectors, type Json, type Vector } from './codec-fixtures.js';

const vectors = loadVectors();

/** Textual address of raw bytes, computed independently of the codec (WHATWG URL host parser). */
function addressText(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function expectBytes(actual: Uint8Array | undefined, expected: Json | undefined, what: string): void {
  const e = binOf(expected);
  assert.ok(e, `${what}: expected a bin in the vector`);
  assert.ok(actual, `${what}: missing`);
  assert.equal(hex(actual), hex(e), what);
}

function expectNodes(actual: NodeRecord[] | undefined, expected: Json | undefined, size: number, what: string): void {
  if (expected === undefined) {
    assert.equal(actual, undefined, what);
    return;
  }
  const raw = binOf(expected)!;
  assert.ok(actual, what);
  assert.equal(actual.length, raw.length / size, what);
  actual.forEach((n, i) => {
    const rec = raw.subarray(i * size, (i + 1) * size);
    assert.equal(hex(n.id), hex(rec.subarray(0, 20)), `${what}[${i}].id`);
    assert.equal(n.address, addressText(rec.subarray(20, size - 2)), `${what}[${i}].address`);
    assert.equal(n.port, (rec[size - 2]! << 8) | rec[size - 1]!, `${what}[${i}].port`);
  });
}

function expectQuery(actual: Query | undefined, expected: Json | undefined): void {
  if (expected === undefined) {
    assert.equal(actual, undefined, 'query');
    return;
  }
  assert.ok(isObject(expected) && actual);
  assert.deepEqual(actual.select, expected.s);
  const w = expected.w as Json[];
  assert.equal(actual.where.length, w.length);
  actual.where.forEach((f, i) => {
    const ew = w[i] as { [k: string]: Json };
    assert.equal(f.field, ew.f);
    if (f.field === 1) assert.equal(f.value, intOf(ew.v));
    else if (f.value instanceof Uint8Array) expectBytes(f.value, ew.v, 'where value');
    else assert.equal(f.value, ew.v);
  });
}

/** A value map from the vector JSON against a decoded Value (fields and exact packed bytes). */
function expectValue(v: Value, e: Json): void {
  assert.ok(isObject(e));
  assert.equal(v.id, intOf(e.id), 'value id');
  const w = new Writer();
  writeValue(w, jsonToMsg(e));
  assert.equal(hex(v.packed), hex(w.finish()), 'value packed bytes');
  assert.equal(hex(encodeValue(v)), hex(v.packed), 'canonical re-encoding of the value');
  assert.equal(v.priority, e.p === undefined ? undefined : e.p);
  assert.equal(v.pushType, e.pt === undefined ? undefined : e.pt);
  if (binOf(e.dat)) {
    expectBytes(v.cypher, e.dat, 'cypher');
    assert.equal(v.body, undefined);
    return;
  }
  assert.ok(isObject(e.dat) && isObject(e.dat.body));
  const body = e.dat.body;
  assert.ok(v.body);
  assert.equal(v.body.type, body.type);
  expectBytes(v.body.data, body.data, 'data');
  assert.equal(v.body.userType, body.utype);
  assert.equal(v.body.seq, body.seq);
  if (body.owner !== undefined) expectBytes(v.body.owner, body.owner, 'owner');
  else assert.equal(v.body.owner, undefined);
  if (body.to !== undefined) expectBytes(v.body.to, body.to, 'to');
  if (e.dat.sig !== undefined) expectBytes(v.signature, e.dat.sig, 'sig');
  else assert.equal(v.signature, undefined);
}

function expectValues(actual: ValueList | undefined, expected: Json | undefined): void {
  if (expected === undefined) {
    assert.equal(actual, undefined, 'values');
    return;
  }
  assert.ok(Array.isArray(expected) && actual);
  if (typeof expected[0] === 'number') {
    assert.deepEqual(actual, { kind: 'fragmented', sizes: expected });
    return;
  }
  assert.equal(actual.kind, 'inline');
  if (actual.kind !== 'inline') return;
  assert.equal(actual.values.length, expected.length);
  for (const [i, v] of actual.values.entries()) expectValue(v, expected[i]!);
}

function expectIds(actual: bigint[] | undefined, expected: Json | undefined, what: string): void {
  if (expected === undefined) assert.equal(actual, undefined, what);
  else
    assert.deepEqual(
      actual,
      (expected as Json[]).map((x) => intOf(x)),
      what,
    );
}

function expectMessage(msg: Message, d: Json): void {
  assert.ok(isObject(d));
  const t = binOf(d.t);
  assert.equal(msg.tid, t ? Buffer.from(t).readUInt32BE(0) : d.t, 'tid');
  assert.equal(msg.userAgent, d.v, 'user agent');
  assert.equal(msg.networkId, d.n ?? 0, 'network id');
  assert.equal(msg.client, d.s ?? false, 'client flag');
  switch (msg.kind) {
    case 'error': {
      const [code, text] = d.e as [number, string];
      assert.equal(msg.error.code, code);
      assert.equal(msg.error.message, text);
      assert.ok(isObject(d.r));
      expectBytes(msg.error.id, d.r.id, 'error r.id');
      return;
    }
    case 'reply': {
      const r = d.r;
      assert.ok(isObject(r));
      expectBytes(msg.reply.id, r.id, 'r.id');
      assert.equal(msg.reply.seenAddress, r.sa === undefined ? undefined : addressText(binOf(r.sa)!), 'sa');
      expectNodes(msg.reply.nodes4, r.n4, 26, 'n4');
      expectNodes(msg.reply.nodes6, r.n6, 38, 'n6');
      if (r.token !== undefined) expectBytes(msg.reply.token, r.token, 'token');
      else assert.equal(msg.reply.token, undefined);
      assert.equal(msg.reply.valueId, intOf(r.vid), 'vid');
      expectValues(msg.reply.values, r.values);
      if (r.fileds === undefined) assert.equal(msg.reply.fields, undefined);
      else {
        assert.ok(isObject(r.fileds) && msg.reply.fields);
        assert.deepEqual(msg.reply.fields.fields, r.fileds.f);
        const fields = r.fileds.f as number[];
        assert.deepEqual(
          msg.reply.fields.values,
          (r.fileds.v as Json[]).map((x, i) => (fields[i % fields.length] === 1 ? intOf(x) : x)),
        );
      }
      return;
    }
    case 'legacy-update': {
      const u = d.u;
      assert.ok(isObject(u));
      expectBytes(msg.update.id, u.id, 'u.id');
      if (u.token !== undefined) expectBytes(msg.update.token, u.token, 'u.token');
      expectIds(msg.update.refreshed, u.re, 'u.re');
      expectIds(msg.update.expired, u.exp, 'u.exp');
      return;
    }
    case 'value-part': {
      assert.ok(isObject(d.p));
      const entries = d.p.$map as [number, { o: number; d: Json }][];
      assert.equal(msg.parts.length, entries.length);
      msg.parts.forEach((p, i) => {
        assert.equal(p.index, entries[i]![0]);
        assert.equal(p.offset, entries[i]![1].o);
        expectBytes(p.data, entries[i]![1].d, 'part data');
      });
      return;
    }
    case 'request': {
      const a = d.a;
      const req = msg.request;
      assert.ok(isObject(a));
      assert.equal(req.type, d.q);
      expectBytes(req.id, a.id, 'a.id');
      const optBytes = (actual: Uint8Array | undefined, expected: Json | undefined, what: string): void => {
        if (expected === undefined) assert.equal(actual, undefined, what);
        else expectBytes(actual, expected, what);
      };
      const want = (w: Json | undefined) => (w === undefined ? undefined : (w as number[]).map((f) => (f === 2 ? 4 : f === 10 ? 6 : f)));
      switch (req.type) {
        case 'ping':
          return;
        case 'find':
          expectBytes(req.target, a.target, 'target');
          assert.deepEqual(req.want, want(a.w));
          return;
        case 'get':
          optBytes(req.key, a.h, 'h');
          expectQuery(req.query, a.q);
          assert.deepEqual(req.want, want(a.w));
          return;
        case 'put':
          optBytes(req.key, a.h, 'h');
          optBytes(req.token, a.token, 'token');
          assert.equal(req.created, a.c);
          expectValues(req.values, a.values);
          return;
        case 'refresh':
          optBytes(req.key, a.h, 'h');
          optBytes(req.token, a.token, 'token');
          assert.equal(req.valueId, intOf(a.vid));
          return;
        case 'listen':
          optBytes(req.key, a.h, 'h');
          optBytes(req.token, a.token, 'token');
          assert.equal(req.socketId, a.sid);
          assert.equal(req.version, a.ve ?? 0);
          expectQuery(req.query, a.q);
          return;
        case 'update':
          optBytes(req.key, a.h, 'h');
          optBytes(req.token, a.token, 'token');
          assert.equal(req.socketId, a.sid);
          assert.equal(req.version, a.ve);
          assert.equal(req.created, a.c);
          expectValues(req.values, a.values);
          expectIds(req.refreshed, a.re, 're');
          expectIds(req.expired, a.exp, 'exp');
          return;
      }
    }
  }
}

function decodeVector(v: Vector): Message {
  const res = decodeMessage(v.bytes);
  assert.ok(res.ok, `${v.name}: ${res.ok ? '' : res.error.reason}`);
  return res.value;
}

describe('codec: OpenDHT wire vectors', () => {
  it('loads all 96 vectors of both captures (57 from 2.4.12, 39 from 4.3.1)', () => {
    assert.equal(vectors.filter((v) => v.dir.includes('2.4')).length, 57);
    assert.equal(vectors.filter((v) => v.dir.includes('4.3')).length, 39);
  });

  for (const v of vectors) {
    const label = `${v.dir.includes('4.3') ? '4.3' : '2.4'}/${v.name}`;
    it(`${label}: decodes to the typed message and re-encodes byte for byte`, () => {
      // The JSON notation itself re-encodes to the captured bytes with our writer.
      const w = new Writer();
      writeValue(w, jsonToMsg(v.decoded));
      assert.equal(hex(w.finish()), v.hex, 'generic re-encoding of the decoded JSON');
      const msg = decodeVector(v);
      expectMessage(msg, v.decoded);
      assert.equal(hex(encodeMessage(msg)), v.hex, 'typed re-encoding');
    });

    if (v.reassembled && v.part_files) {
      it(`${label}: reassembles its ${v.part_files.length} parts and re-fragments them identically`, () => {
        const header = decodeVector(v);
        const parts = v.part_files!.map((name) => {
          const raw = JSON.parse(readFileSync(join(v.dir, `${name}.json`), 'utf8')) as { hex: string };
          return Uint8Array.from(Buffer.from(raw.hex, 'hex'));
        });
        const clock = { now: () => 1000 };
        const r = new Reassembler({}, { clock });
        assert.equal(r.push('peer', header).status, 'pending');
        let last: ReturnType<typeof r.push> | undefined;
        for (const p of parts) {
          const dp = decodeMessage(p);
          assert.ok(dp.ok);
          last = r.push('peer', dp.value);
        }
        assert.ok(last && last.status === 'complete', 'complete after the last part');
        const expected = Object.entries(v.reassembled!);
        assert.equal(last.values.length, expected.length);
        expected.forEach(([index, e]) => {
          const value = last.values[Number(index)]!;
          assert.equal(hex(value.packed), e.hex);
          expectValue(value, e.decoded);
        });
        assert.deepEqual(r.stats().pending, 0);
        // The completed message carries the values inline.
        const m = last.message;
        const list = m.kind === 'request' && 'values' in m.request ? m.request.values : m.kind === 'reply' ? m.reply.values : undefined;
        assert.equal(list?.kind, 'inline');

        // Sending side: same sizes in the header, same part datagrams.
        assert.ok(needsFragmentation(last.values));
        const frag = fragmentValues(last.values);
        const headerSizes =
          header.kind === 'request' && 'values' in header.request ? header.request.values : header.kind === 'reply' ? header.reply.values : undefined;
        assert.deepEqual(headerSizes, { kind: 'fragmented', sizes: frag.sizes });
        assert.equal(frag.parts.length, parts.length);
        frag.parts.forEach((part, i) => {
          const bytes = encodeMessage({ kind: 'value-part', tid: header.tid, networkId: header.networkId, client: false, parts: [part] });
          assert.equal(hex(bytes), hex(parts[i]!), `part ${i + 1}`);
        });
      });
    }
  }
});
