/**
 * DHT values (§10): `{id, dat, [p], [pt]}` where `dat` is `{body: ToSign, [sig]}` for clear
 * values or a bin (ciphertext) for encrypted ones. Decoding keeps the exact received bytes in
 * `Value.packed`; encoding here is the canonical OpenDHT form.
 */

import { decodeMsgpack, MsgMap, type MsgValue } from './msgpack/reader.js';
import { Writer } from './msgpack/writer.js';
import { latin1Bytes } from './latin1.js';
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

/**
 * A value the fast request path (fast-request.ts) read from a datagram, in one of the two shapes
 * it takes: `{id, dat: bin}` (encrypted) and `{id, dat: {body: {type, data}}}`. Its bytes are
 * copied once, from the datagram into {@link packedText} (the string storage keeps as it is);
 * `packed`, `body` and `cypher` are made from that string on first use, so a put that storage
 * only stores builds none of them (they were two more copies and four objects per put). In both
 * shapes the payload (data or ciphertext) is the last thing in the value, so it runs from
 * {@link payloadAt} to the end. Read its fields like any Value's; a spread (`{...v}`) does not
 * copy getters.
 */
export class WireValue implements Value {
  private bytes: Uint8Array | undefined = undefined;
  private payload: Uint8Array | undefined = undefined;
  private bodyMemo: ValueBody | undefined = undefined;

  constructor(
    readonly id: bigint,
    readonly packedText: string,
    /** The body's `type`, or -1 for an encrypted value. */
    readonly bodyType: number,
    /** Offset in the packed bytes where the payload's bytes start. */
    readonly payloadAt: number,
  ) {}

  get packed(): Uint8Array {
    if (this.bytes === undefined) this.bytes = latin1Bytes(this.packedText, 0);
    return this.bytes;
  }

  get body(): ValueBody | undefined {
    if (this.bodyType < 0) return undefined;
    if (this.bodyMemo === undefined) this.bodyMemo = { type: this.bodyType, data: this.payloadBytes() };
    return this.bodyMemo;
  }

  get cypher(): Uint8Array | undefined {
    return this.bodyType < 0 ? this.payloadBytes() : undefined;
  }

  /** Bytes of the data or ciphertext: the value's whole size in OpenDHT's accounting (see {@link valueSize}). */
  get payloadSize(): number {
    return this.packedText.length - this.payloadAt;
  }

  private payloadBytes(): Uint8Array {
    if (this.payload === undefined) this.payload = latin1Bytes(this.packedText, this.payloadAt);
    return this.payload;
  }
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
  // The fast path's shapes carry no signature, user type or push type.
  if (v instanceof WireValue) return v.payloadSize;
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
