/**
 * DHT values (§10): `{id, dat, [p], [pt]}` where `dat` is `{body: ToSign, [sig]}` for clear
 * values or a bin (ciphertext) for encrypted ones. Decoding keeps the exact received bytes in
 * `Value.packed`; encoding here is the canonical OpenDHT form.
 */

import { decodeMsgpack, MsgMap, type MsgValue } from './msgpack/reader.js';
import { Writer } from './msgpack/writer.js';
import { fail, Invalid, readBlob, readHash, readMap, readString, readUint, readUint64 } from './fields.js';
import type { DecodeResult, Value, ValueBody } from './types.js';

/** Decode a value from an already-parsed map; `source` holds the bytes the map was read from. */
export function valueFromMap(map: MsgMap, source: Uint8Array): Value {
  if (map.size < 2) fail('value: fewer than 2 entries');
  const id = readUint64(map.get('id'), 'value id');
  const dat = map.get('dat');
  const value: Value = { id, packed: source.slice(map.start, map.end) };
  if (dat instanceof Uint8Array) {
    value.cypher = dat;
  } else if (dat instanceof MsgMap) {
    const body = readMap(dat.get('body'), 'value body');
    value.body = bodyFromMap(body);
    const sig = dat.get('sig');
    if (sig !== undefined) value.signature = readBlob(sig, 'value sig');
    if (value.body.owner !== undefined && (value.body.seq === undefined || value.signature === undefined)) {
      fail('value: owner without seq or sig');
    }
  } else {
    fail('value: dat must be map or bin');
  }
  const p = map.get('p');
  if (p !== undefined) value.priority = readUint(p, 'value p');
  const pt = map.get('pt');
  if (pt !== undefined) value.pushType = readString(pt, 'value pt');
  return value;
}

function bodyFromMap(m: MsgMap): ValueBody {
  const body: ValueBody = {
    type: readUint(m.get('type'), 'value type', 0xffff),
    data: readBlob(m.get('data'), 'value data'),
  };
  const seq = m.get('seq');
  if (seq !== undefined) body.seq = readUint(seq, 'value seq', 0xffff);
  const owner = m.get('owner');
  if (owner !== undefined) body.owner = readBlob(owner, 'value owner');
  const to = m.get('to');
  if (to !== undefined) body.to = readHash(to, 'value to');
  const utype = m.get('utype');
  if (utype !== undefined) {
    const s = readString(utype, 'value utype');
    if (s !== '') body.userType = s;
  }
  return body;
}

/** Decode one packed value (e.g. a reassembled fragment blob). Never throws. */
export function decodeValue(bytes: Uint8Array): DecodeResult<Value> {
  const parsed = decodeMsgpack(bytes);
  if (!parsed) return { ok: false, error: { reason: 'value: malformed msgpack' } };
  if (!(parsed.value instanceof MsgMap)) return { ok: false, error: { reason: 'value: not a map' } };
  try {
    return { ok: true, value: valueFromMap(parsed.value, bytes) };
  } catch (e) {
    return { ok: false, error: { reason: e instanceof Invalid ? e.reason : 'value: invalid' } };
  }
}

/** Decode a value held in a msgpack tree node, or `undefined` when it is not a valid value. */
export function tryValueFromTree(v: MsgValue, source: Uint8Array): Value | undefined {
  if (!(v instanceof MsgMap)) return undefined;
  try {
    return valueFromMap(v, source);
  } catch (e) {
    if (e instanceof Invalid) return undefined;
    throw e;
  }
}

function writeBody(w: Writer, body: ValueBody): void {
  let n = 2;
  if (body.seq !== undefined) n++;
  if (body.owner !== undefined) n++;
  if (body.to !== undefined) n++;
  const hasUtype = body.userType !== undefined && body.userType !== '';
  if (hasUtype) n++;
  w.mapHeader(n);
  if (body.seq !== undefined) {
    w.str('seq');
    w.uint(body.seq);
  }
  if (body.owner !== undefined) {
    w.str('owner');
    w.bin(body.owner);
  }
  if (body.to !== undefined) {
    w.str('to');
    w.bin(body.to);
  }
  w.str('type');
  w.uint(body.type);
  w.str('data');
  w.bin(body.data);
  if (hasUtype) {
    w.str('utype');
    w.str(body.userType!);
  }
}

/**
 * The bytes a value signature covers: the ToSign map with keys `seq, owner, [to], type, data,
 * [utype]`, exact entry count, smallest integers (§10.4).
 */
export function encodeValueBodyToSign(body: ValueBody): Uint8Array {
  const w = new Writer();
  writeBody(w, body);
  return w.finish();
}

/** Canonical packed form of a value (`id, dat, [p], [pt]`), as OpenDHT emits it. */
export function encodeValue(v: Omit<Value, 'packed'>): Uint8Array {
  const w = new Writer();
  let n = 2;
  if (v.priority) n++;
  if (v.pushType) n++;
  w.mapHeader(n);
  w.str('id');
  w.uint(v.id);
  w.str('dat');
  if (v.cypher !== undefined) {
    w.bin(v.cypher);
  } else {
    w.mapHeader(v.signature !== undefined ? 2 : 1);
    w.str('body');
    writeBody(w, v.body ?? { type: 0, data: new Uint8Array(0) });
    if (v.signature !== undefined) {
      w.str('sig');
      w.bin(v.signature);
    }
  }
  if (v.priority) {
    w.str('p');
    w.uint(v.priority);
  }
  if (v.pushType) {
    w.str('pt');
    w.str(v.pushType);
  }
  return w.finish();
}

/** A value with its canonical `packed` bytes filled in. */
export function makeValue(v: Omit<Value, 'packed'>): Value {
  return { ...v, packed: encodeValue(v) };
}

const utf8 = new TextEncoder();

/**
 * Storage size of a value as OpenDHT accounts it (§10.5): ciphertext + data + signature +
 * user type + push type bytes; the owner key is not counted.
 */
export function valueSize(v: Value): number {
  let size = 0;
  if (v.cypher) size += v.cypher.length;
  if (v.body) {
    size += v.body.data.length;
    if (v.body.userType) size += utf8.encode(v.body.userType).length;
  }
  if (v.signature) size += v.signature.length;
  if (v.pushType) size += utf8.encode(v.pushType).length;
  return size;
}
