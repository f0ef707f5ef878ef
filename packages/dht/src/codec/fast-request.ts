/**
 * The fast path of {@link decodeMessage} in decode.ts: the busiest requests (ping, find, get,
 * listen, and puts of plain or encrypted values) read straight from the datagram's bytes, with no
 * msgpack tree. It accepts only the exact shapes OpenDHT sends and hands
 * everything else to the general decoder, which alone decides what is invalid (§4).
 */

import { strAt } from './msgpack/reader.js';
import type { Family, Message, Request, Value, ValueList } from './types.js';
import { latin1Text } from './latin1.js';
import { WireValue } from './value.js';
import { WireFamily } from './types.js';

/** The target of a find that carries none (the general decoder uses the same zero id). */
const ZERO_ID = new Uint8Array(20);

const Q_PING = 1;
const Q_FIND = 2;
const Q_GET = 3;
const Q_LISTEN = 4;
const Q_PUT = 5;

/** Scratch for a uint64 value id (module state: no DataView per value). */
const idBytes = new Uint8Array(8);
const idView = new DataView(idBytes.buffer);

/** End of the last uint {@link uintField} read (module state: no result object per field). */
let uintEnd = 0;

/**
 * The uint at `p` in the encodings read here (fixint, uint8/16/32), its end in {@link uintEnd};
 * -1 for any other encoding or a truncated one.
 */
function uintField(b: Uint8Array, p: number): number {
  if (p >= b.length) return -1;
  const v = b[p]!;
  const len = v <= 0x7f ? 1 : v === 0xcc ? 2 : v === 0xcd ? 3 : v === 0xce ? 5 : 0;
  if (len === 0 || p + len > b.length) return -1;
  uintEnd = p + len;
  if (len === 1) return v;
  if (len === 2) return b[p + 1]!;
  if (len === 3) return (b[p + 1]! << 8) | b[p + 2]!;
  return ((b[p + 1]! << 24) | (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!) >>> 0;
}

/** 20 bytes at `p` after a `bin8(20)` header, as a copy; undefined if that is not what is there. */
function hashAt(b: Uint8Array, p: number): Uint8Array | undefined {
  if (p + 22 > b.length || b[p] !== 0xc4 || b[p + 1] !== 20) return undefined;
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = b[p + 2 + i]!;
  return out;
}

/** End of the last value {@link valueAt} read (module state: no result object per value). */
let valueEnd = 0;

/**
 * One value map at `p` in the two shapes OpenDHT and our encoder write for values without an
 * owner: `{id, dat: bin}` (encrypted) and `{id, dat: {body: {type, data}}}`, keys in that order,
 * or undefined. Its bytes are copied once, into the {@link WireValue}'s string; its fields read
 * through the Value interface equal what the tree decoder builds (a test checks it).
 */
function valueAt(b: Uint8Array, p: number): Value | undefined {
  const n = b.length;
  const start = p;
  // {"id": uint64, "dat": ...}
  if (p + 4 > n || b[p] !== 0x82 || b[p + 1] !== 0xa2 || b[p + 2] !== 0x69 || b[p + 3] !== 0x64) return undefined;
  p += 4;
  if (p >= n) return undefined;
  const t = b[p]!;
  let id: bigint;
  if (t === 0xcf) {
    if (p + 9 > n) return undefined;
    // Through a scratch DataView: one bigint, where shifting and or-ing two halves made four.
    for (let i = 0; i < 8; i++) idBytes[i] = b[p + 1 + i]!;
    id = idView.getBigUint64(0);
    p += 9;
  } else {
    const small = uintField(b, p);
    if (small < 0) return undefined;
    id = BigInt(small);
    p = uintEnd;
  }
  if (p + 5 > n || b[p] !== 0xa3 || b[p + 1] !== 0x64 || b[p + 2] !== 0x61 || b[p + 3] !== 0x74) return undefined;
  p += 4;
  const d = b[p]!;
  if (d === 0xc4 || d === 0xc5) {
    const at = binStart(b, p);
    if (at < 0) return undefined;
    valueEnd = binEnd;
    return new WireValue(id, latin1Text(b, start, binEnd), -1, at - start);
  }
  // {"body": {"type": uint16, "data": bin}}
  if (d !== 0x81 || p + 12 > n || b[p + 1] !== 0xa4 || strAt(b, p + 2, 4) !== 'body' || b[p + 6] !== 0x82) return undefined;
  if (b[p + 7] !== 0xa4 || strAt(b, p + 8, 4) !== 'type') return undefined;
  p += 12;
  const type = uintField(b, p);
  if (type < 0 || type > 0xffff) return undefined;
  p = uintEnd;
  if (p + 6 > n || b[p] !== 0xa4 || strAt(b, p + 1, 4) !== 'data') return undefined;
  const at = binStart(b, p + 5);
  if (at < 0) return undefined;
  valueEnd = binEnd;
  return new WireValue(id, latin1Text(b, start, binEnd), type, at - start);
}

/** End of the last bin {@link binStart} or {@link binAt} read. */
let binEnd = 0;

/** Where the bytes of a bin8 or bin16 at `p` start (their end in {@link binEnd}), or -1. */
function binStart(b: Uint8Array, p: number): number {
  const n = b.length;
  let len: number;
  if (b[p] === 0xc4 && p + 2 <= n) {
    len = b[p + 1]!;
    p += 2;
  } else if (b[p] === 0xc5 && p + 3 <= n) {
    len = (b[p + 1]! << 8) | b[p + 2]!;
    p += 3;
  } else {
    return -1;
  }
  if (p + len > n) return -1;
  binEnd = p + len;
  return p;
}

/** A bin8 or bin16 at `p`, as a plain copy (what the tree decoder makes of a bin), or undefined. */
function binAt(b: Uint8Array, p: number): Uint8Array | undefined {
  const start = binStart(b, p);
  if (start < 0) return undefined;
  const len = binEnd - start;
  const out = new Uint8Array(len);
  if (len <= 32) for (let i = 0; i < len; i++) out[i] = b[start + i]!;
  else out.set(b.subarray(start, binEnd));
  return out;
}

/**
 * The busiest requests (ping, find, get and listen without a query, puts of plain or encrypted
 * values) read straight from the bytes, with no msgpack tree: most of a ping's decoding cost, and
 * a put's tree was a few hundred bytes of garbage per datagram. It takes only the exact shapes
 * OpenDHT sends (one-char top-level keys a q t y v n s, each once; `a` holding id, h, target, w,
 * token, sid, ve, values, c, each once, in their usual encodings; see {@link valueAt}). Anything else, valid or not, gives undefined and goes the general way, which
 * alone decides what is invalid: where both read a datagram, they agree (a test checks it).
 */
export function fastRequest(b: Uint8Array): Message | undefined {
  const n = b.length;
  if (n === 0) return undefined;
  const head = b[0]!;
  if (head < 0x81 || head > 0x8f) return undefined;
  let p = 1;
  let seen = 0;
  let tid = 0;
  let tidAsBin = false;
  let networkId = 0;
  let client = false;
  let userAgent: string | undefined;
  let q = 0;
  let id: Uint8Array | undefined;
  let h: Uint8Array | undefined;
  let target: Uint8Array | undefined;
  let want: Family[] | undefined;
  let token: Uint8Array | undefined;
  let sid: number | undefined;
  let ve: number | undefined;
  let values: Value[] | undefined;
  let created: number | undefined;
  for (let entries = head & 0x0f; entries > 0; entries--) {
    if (p + 3 > n || b[p] !== 0xa1) return undefined;
    const key = b[p + 1]!;
    p += 2;
    const bit = key === 0x61 ? 1 : key === 0x71 ? 2 : key === 0x74 ? 4 : key === 0x79 ? 8 : key === 0x76 ? 16 : key === 0x6e ? 32 : key === 0x73 ? 64 : 0;
    if (bit === 0 || (seen & bit) !== 0) return undefined;
    seen |= bit;
    const v = b[p]!;
    switch (key) {
      case 0x61: {
        // a: {id, h, target, w}
        if (v < 0x81 || v > 0x8f) return undefined;
        p++;
        let argSeen = 0;
        for (let args = v & 0x0f; args > 0; args--) {
          if (p + 2 > n) return undefined;
          const k0 = b[p]!;
          const k1 = b[p + 1]!;
          if (k0 === 0xa2 && k1 === 0x69 && b[p + 2] === 0x64) {
            // id
            if ((argSeen & 1) !== 0) return undefined;
            argSeen |= 1;
            id = hashAt(b, p + 3);
            if (id === undefined) return undefined;
            p += 25;
          } else if (k0 === 0xa1 && k1 === 0x68) {
            // h
            if ((argSeen & 2) !== 0) return undefined;
            argSeen |= 2;
            h = hashAt(b, p + 2);
            if (h === undefined) return undefined;
            p += 24;
          } else if (k0 === 0xa6 && k1 === 0x74 && p + 7 <= n && strAt(b, p + 1, 6) === 'target') {
            if ((argSeen & 4) !== 0) return undefined;
            argSeen |= 4;
            target = hashAt(b, p + 7);
            if (target === undefined) return undefined;
            p += 29;
          } else if (k0 === 0xa1 && k1 === 0x77) {
            // w: an array of small family numbers; others than inet/inet6 are ignored
            if ((argSeen & 8) !== 0) return undefined;
            argSeen |= 8;
            p += 2;
            if (p >= n) return undefined;
            const arr = b[p]!;
            if (arr < 0x90 || arr > 0x9f || p + 1 + (arr & 0x0f) > n) return undefined;
            p++;
            want = [];
            for (let i = arr & 0x0f; i > 0; i--) {
              const f = b[p++]!;
              if (f > 0x7f) return undefined;
              if (f === WireFamily.inet) {
                if (!want.includes(4)) want.push(4);
              } else if (f === WireFamily.inet6) {
                if (!want.includes(6)) want.push(6);
              }
            }
          } else if (k0 === 0xa5 && k1 === 0x74 && p + 6 <= n && strAt(b, p + 1, 5) === 'token') {
            // token: a bin of any length
            if ((argSeen & 16) !== 0) return undefined;
            argSeen |= 16;
            token = binAt(b, p + 6);
            if (token === undefined) return undefined;
            p = binEnd;
          } else if (k0 === 0xa3 && k1 === 0x73 && b[p + 2] === 0x69 && b[p + 3] === 0x64) {
            // sid: uint32 or 4 bytes as bin
            if ((argSeen & 32) !== 0) return undefined;
            argSeen |= 32;
            p += 4;
            if (p >= n) return undefined;
            if (b[p] === 0xc4 && b[p + 1] === 4 && p + 6 <= n) {
              sid = ((b[p + 2]! << 24) | (b[p + 3]! << 16) | (b[p + 4]! << 8) | b[p + 5]!) >>> 0;
              p += 6;
            } else {
              sid = uintField(b, p);
              if (sid < 0) return undefined;
              p = uintEnd;
            }
          } else if (k0 === 0xa2 && k1 === 0x76 && b[p + 2] === 0x65) {
            // ve: uint32
            if ((argSeen & 64) !== 0) return undefined;
            argSeen |= 64;
            ve = uintField(b, p + 3);
            if (ve < 0) return undefined;
            p = uintEnd;
          } else if (k0 === 0xa6 && k1 === 0x76 && p + 7 <= n && strAt(b, p + 1, 6) === 'values') {
            // values: a non-empty fixarray of value maps in the shapes valueAt reads
            if ((argSeen & 128) !== 0) return undefined;
            argSeen |= 128;
            p += 7;
            if (p >= n) return undefined;
            const arr = b[p]!;
            if (arr < 0x91 || arr > 0x9f) return undefined;
            p++;
            const first = valueAt(b, p);
            if (first === undefined) return undefined;
            p = valueEnd;
            // Most puts carry one value: a one-element literal is a third of an empty array grown by push().
            values = [first];
            for (let i = (arr & 0x0f) - 1; i > 0; i--) {
              const value = valueAt(b, p);
              if (value === undefined) return undefined;
              values.push(value);
              p = valueEnd;
            }
          } else if (k0 === 0xa1 && k1 === 0x63) {
            // c: creation time, uint32
            if ((argSeen & 256) !== 0) return undefined;
            argSeen |= 256;
            created = uintField(b, p + 2);
            if (created < 0) return undefined;
            p = uintEnd;
          } else {
            return undefined;
          }
        }
        break;
      }
      case 0x71: {
        // q: ping, find, get, listen or put
        if (v === 0xa4 && p + 5 <= n && b[p + 1] === 0x70 && b[p + 2] === 0x69 && b[p + 3] === 0x6e && b[p + 4] === 0x67) q = Q_PING;
        else if (v === 0xa4 && p + 5 <= n && b[p + 1] === 0x66 && b[p + 2] === 0x69 && b[p + 3] === 0x6e && b[p + 4] === 0x64) q = Q_FIND;
        else if (v === 0xa3 && p + 4 <= n && b[p + 1] === 0x67 && b[p + 2] === 0x65 && b[p + 3] === 0x74) q = Q_GET;
        else if (v === 0xa6 && p + 7 <= n && strAt(b, p + 1, 6) === 'listen') q = Q_LISTEN;
        else if (v === 0xa3 && p + 4 <= n && b[p + 1] === 0x70 && b[p + 2] === 0x75 && b[p + 3] === 0x74) q = Q_PUT;
        else return undefined;
        p += 1 + (v & 0x1f);
        break;
      }
      case 0x74: {
        // t: uint32, or 4 bytes as bin
        if (v <= 0x7f) {
          tid = v;
          p += 1;
        } else if (v === 0xcc && p + 2 <= n) {
          tid = b[p + 1]!;
          p += 2;
        } else if (v === 0xcd && p + 3 <= n) {
          tid = (b[p + 1]! << 8) | b[p + 2]!;
          p += 3;
        } else if ((v === 0xce || (v === 0xc4 && b[p + 1] === 4)) && p + 5 + (v === 0xc4 ? 1 : 0) <= n) {
          const at = v === 0xce ? p + 1 : p + 2;
          tid = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
          tidAsBin = v === 0xc4;
          p = at + 4;
        } else {
          return undefined;
        }
        break;
      }
      case 0x79:
        // y: only "q" (anything else is for the general path to refuse or classify)
        if (v !== 0xa1 || p + 2 > n || b[p + 1] !== 0x71) return undefined;
        p += 2;
        break;
      case 0x76: {
        // v: a short str
        if (v < 0xa0 || v > 0xbf) return undefined;
        const len = v & 0x1f;
        if (p + 1 + len > n) return undefined;
        userAgent = strAt(b, p + 1, len);
        p += 1 + len;
        break;
      }
      case 0x6e:
        // n: uint32
        if (v <= 0x7f) {
          networkId = v;
          p += 1;
        } else if (v === 0xcc && p + 2 <= n) {
          networkId = b[p + 1]!;
          p += 2;
        } else if (v === 0xcd && p + 3 <= n) {
          networkId = (b[p + 1]! << 8) | b[p + 2]!;
          p += 3;
        } else if (v === 0xce && p + 5 <= n) {
          networkId = ((b[p + 1]! << 24) | (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!) >>> 0;
          p += 5;
        } else {
          return undefined;
        }
        break;
      case 0x73:
        // s: bool
        if (v !== 0xc2 && v !== 0xc3) return undefined;
        client = v === 0xc3;
        p += 1;
        break;
    }
  }
  if (q === 0 || id === undefined) return undefined;
  let zero = true;
  for (let i = 0; i < 20 && zero; i++) zero = id[i] === 0;
  if (zero) return undefined;
  let request: Request;
  if (q === Q_PING) {
    request = { type: 'ping', id };
  } else if (q === Q_FIND) {
    const req: Request = { type: 'find', id, target: target ?? ZERO_ID.slice() };
    if (want) req.want = want;
    request = req;
  } else if (q === Q_GET) {
    const req: Extract<Request, { type: 'get' }> = { type: 'get', id };
    if (h) req.key = h;
    if (want) req.want = want;
    request = req;
  } else if (q === Q_PUT) {
    const list: ValueList = { kind: 'inline', values: values ?? [] };
    if (h && token) {
      // A put as OpenDHT sends it, in one literal: properties added to an object after its
      // literal went to an extra property array per put.
      request = created !== undefined ? { type: 'put', id, values: list, key: h, created, token } : { type: 'put', id, values: list, key: h, token };
    } else {
      const req: Extract<Request, { type: 'put' }> = { type: 'put', id, values: list };
      if (h) req.key = h;
      if (created !== undefined) req.created = created;
      if (token) req.token = token;
      request = req;
    }
  } else {
    const socketId = sid ?? 0;
    const version = ve ?? 0;
    if (h && token) {
      request = { type: 'listen', id, socketId, version, key: h, token };
    } else {
      const req: Extract<Request, { type: 'listen' }> = { type: 'listen', id, socketId, version };
      if (h) req.key = h;
      if (token) req.token = token;
      request = req;
    }
  }
  const msg: Message =
    userAgent !== undefined ? { tid, networkId, client, kind: 'request', request, userAgent } : { tid, networkId, client, kind: 'request', request };
  if (tidAsBin) msg.tidAsBin = true;
  return msg;
}
