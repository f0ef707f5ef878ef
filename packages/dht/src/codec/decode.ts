/**
 * Datagram → typed {@link Message}, with OpenDHT's acceptance rules (§4): classification
 * order e, r, p, u, then `y`/`q`; ids and keys must be bin(20); a field of the wrong type makes the
 * whole datagram invalid; unknown keys are ignored. Never throws.
 */

import { decodeMsgpack, MsgMap, type MsgValue, strAt } from './msgpack/reader.js';
import { addressFromBytes } from './address.js';
import { fail, Invalid, readArray, readBlob, readBool, readHash, readMap, readNodeId, readString, readTid, readUint, readUint64 } from './fields.js';
import { decodeNodeList } from './nodes.js';
import { fieldsFromMap, queryFromMap } from './query.js';
import { tryValueFromTree } from './value.js';
import type { DecodeResult, ErrorBody, Family, LegacyUpdate, Message, NodeRecord, Reply, Request, SelectedFields, ValueList, ValuePart } from './types.js';
import { WireFamily } from './types.js';

/** Decode one UDP datagram. Returns `{ok: false}` for anything OpenDHT would drop as unparseable. */
export function decodeMessage(bytes: Uint8Array): DecodeResult<Message> {
  const fast = fastRequest(bytes);
  if (fast !== undefined) return { ok: true, value: fast };
  return decodeMessageTree(bytes);
}

/** The general path of {@link decodeMessage}: the whole datagram as a msgpack tree, then read. */
export function decodeMessageTree(bytes: Uint8Array): DecodeResult<Message> {
  const parsed = decodeMsgpack(bytes);
  if (parsed === undefined) return { ok: false, error: { reason: 'malformed msgpack' } };
  const top = parsed.value;
  if (!(top instanceof MsgMap)) return { ok: false, error: { reason: 'datagram is not a map' } };
  try {
    return { ok: true, value: messageFromMap(top, bytes) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: { reason: e.reason } };
    return { ok: false, error: { reason: 'invalid datagram' } };
  }
}

function messageFromMap(top: MsgMap, source: Uint8Array): Message {
  let tid = 0;
  let tidAsBin = false;
  let userAgent: string | undefined;
  let networkId = 0;
  let client = false;
  let y: MsgValue | undefined;
  let q: MsgValue | undefined;
  let a: MsgValue | undefined;
  let r: MsgValue | undefined;
  let e: MsgValue | undefined;
  let p: MsgValue | undefined;
  let u: MsgValue | undefined;
  // One pass over the top-level keys, backwards so that the first occurrence of a key wins, as
  // in msgpack-c lookups.
  const keys = top.keys;
  for (let i = keys.length - 1; i >= 0; i--) {
    const val = top.values[i]!;
    switch (keys[i]) {
      case 't':
        if (typeof val === 'number') {
          tid = readUint(val, 't');
          tidAsBin = false;
        } else {
          tid = readTid(val, 't').tid;
          tidAsBin = true;
        }
        break;
      case 'v':
        userAgent = readString(val, 'v');
        break;
      case 'n':
        networkId = readUint(val, 'n');
        break;
      case 's':
        client = readBool(val, 's');
        break;
      case 'y':
        y = val;
        break;
      case 'q':
        if (typeof val !== 'string') fail('q: expected str');
        q = val;
        break;
      case 'a':
        a = val;
        break;
      case 'r':
        r = val;
        break;
      case 'e':
        e = val;
        break;
      case 'p':
        p = val;
        break;
      case 'u':
        u = val;
        break;
    }
  }

  // Object literals built in one go keep a stable shape (cheap to create and to read later).
  let msg: Message;
  if (e !== undefined) msg = { tid, networkId, client, kind: 'error', error: errorFrom(e, r) };
  else if (r !== undefined) msg = { tid, networkId, client, kind: 'reply', reply: replyFrom(readMap(r, 'r'), source) };
  else if (p !== undefined) msg = { tid, networkId, client, kind: 'value-part', parts: partsFrom(readMap(p, 'p')) };
  else if (u !== undefined) {
    msg = { tid, networkId, client, kind: 'legacy-update', update: legacyUpdateFrom(readMap(u, 'u')) };
  } else {
    if (y !== undefined && readString(y, 'y') !== 'q') fail('y: not a request');
    if (a === undefined) fail('request without a');
    const request = requestFrom(q as string | undefined, readMap(a, 'a'), source);
    msg = { tid, networkId, client, kind: 'request', request };
  }
  // Value parts carry no user agent in OpenDHT; one sent anyway is ignored, not echoed.
  if (userAgent !== undefined && msg.kind !== 'value-part') msg.userAgent = userAgent;
  if (tidAsBin) msg.tidAsBin = true;
  return msg;
}

function errorFrom(e: MsgValue, r: MsgValue | undefined): ErrorBody {
  const arr = readArray(e, 'e');
  if (arr.length === 0) fail('e: empty');
  const code = readUint(arr[0], 'e code', 0xffff);
  const text = arr[1];
  const message = typeof text === 'string' ? text : text instanceof Uint8Array ? readString(text, 'e msg') : '';
  if (r === undefined) fail('error without r.id');
  return { id: readNodeId(readMap(r, 'r')), code, message };
}

function replyFrom(m: MsgMap, source: Uint8Array): Reply {
  const id = readNodeId(m);
  let seenAddress: string | undefined;
  let nodes4: NodeRecord[] | undefined;
  let nodes6: NodeRecord[] | undefined;
  let token: Uint8Array | undefined;
  let values: ValueList | undefined;
  let fields: SelectedFields | undefined;
  let valueId: bigint | undefined;
  const keys = m.keys;
  for (let i = keys.length - 1; i >= 0; i--) {
    const val = m.values[i]!;
    switch (keys[i]) {
      case 'sa': {
        if (!(val instanceof Uint8Array)) fail('sa: expected bin');
        // Any length other than 4 or 16 is ignored, as OpenDHT does.
        seenAddress = addressFromBytes(val);
        break;
      }
      case 'n4':
        nodes4 = nodesFrom(4, val);
        break;
      case 'n6':
        nodes6 = nodesFrom(6, val);
        break;
      case 'token':
        token = readBlob(val, 'token');
        break;
      case 'values':
        values = valueListFrom(val, source);
        break;
      case 'fileds':
        fields = fieldsFromMap(readMap(val, 'fileds'));
        break;
      case 'vid':
        valueId = readUint64(val, 'vid');
        break;
    }
  }
  const reply: Reply = { id };
  if (seenAddress !== undefined) reply.seenAddress = seenAddress;
  if (nodes4 !== undefined) reply.nodes4 = nodes4;
  if (nodes6 !== undefined) reply.nodes6 = nodes6;
  if (token !== undefined) reply.token = token;
  // OpenDHT reads `values` in preference to `fileds`.
  if (values !== undefined) reply.values = values;
  else if (fields !== undefined) reply.fields = fields;
  if (valueId !== undefined) reply.valueId = valueId;
  return reply;
}

function nodesFrom(family: Family, v: MsgValue): NodeRecord[] | undefined {
  const res = decodeNodeList(family, readBlob(v, `n${family}`));
  if (!res.ok) return fail(res.error.reason);
  // An empty list means no nodes (OpenDHT omits the key then).
  return res.value.length > 0 ? res.value : undefined;
}

/** Sizes above this cannot be a legal value (64 KiB + 32 bytes of header overhead, §9). */
export const MAX_VALUE_PACKED_SIZE = 65536 + 32;

/**
 * `values`: value maps (inline), or packed sizes announcing value parts. Invalid value maps are
 * skipped like OpenDHT does; a list mixing sizes and maps is refused (no OpenDHT version sends
 * one, and a size's position is the index its parts refer to).
 */
function valueListFrom(v: MsgValue, source: Uint8Array): ValueList {
  const arr = readArray(v, 'values');
  if (arr.length > 0 && (typeof arr[0] === 'number' || typeof arr[0] === 'bigint')) {
    const sizes = new Array<number>(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const s = arr[i];
      if (typeof s === 'number' && s >= 0 && Number.isInteger(s)) sizes[i] = s;
      else if (typeof s === 'bigint' && s >= 0n) sizes[i] = Number.MAX_SAFE_INTEGER;
      else fail('values: mixed sizes and values');
    }
    return { kind: 'fragmented', sizes };
  }
  const values = [];
  for (const item of arr) {
    if (typeof item === 'number' || typeof item === 'bigint') fail('values: mixed sizes and values');
    const value = tryValueFromTree(item, source);
    if (value !== undefined) values.push(value);
  }
  return { kind: 'inline', values };
}

function partsFrom(m: MsgMap): ValuePart[] {
  const parts: ValuePart[] = [];
  for (let i = 0; i < m.size; i++) {
    const index = readUint(m.keys[i], 'p index');
    const entry = m.values[i];
    if (!(entry instanceof MsgMap)) continue;
    const o = entry.get('o');
    const d = entry.get('d');
    if (o === undefined || d === undefined) continue;
    parts.push({ index, offset: readUint(o, 'p.o'), data: readBlob(d, 'p.d') });
  }
  return parts;
}

function idList(v: MsgValue, what: string): bigint[] {
  return readArray(v, what).map((x) => readUint64(x, what));
}

function legacyUpdateFrom(m: MsgMap): LegacyUpdate {
  const update: LegacyUpdate = { id: readNodeId(m) };
  const token = m.get('token');
  if (token !== undefined) update.token = readBlob(token, 'token');
  const re = m.get('re');
  if (re !== undefined) update.refreshed = idList(re, 're');
  const exp = m.get('exp');
  if (exp !== undefined) update.expired = idList(exp, 'exp');
  return update;
}

function wantFrom(v: MsgValue): Family[] {
  const want: Family[] = [];
  for (const f of readArray(v, 'w')) {
    // Unrecognised family numbers (e.g. 23/30 from non-Linux builds) are ignored, as OpenDHT does.
    if (f === WireFamily.inet) {
      if (!want.includes(4)) want.push(4);
    } else if (f === WireFamily.inet6) {
      if (!want.includes(6)) want.push(6);
    }
  }
  return want;
}

/** Inner request arguments, read once into typed slots. */
interface Args {
  id: Uint8Array;
  h: Uint8Array | undefined;
  target: Uint8Array | undefined;
  query: ReturnType<typeof queryFromMap> | undefined;
  want: Family[] | undefined;
  token: Uint8Array | undefined;
  vid: bigint | undefined;
  created: number | undefined;
  values: ValueList | undefined;
  sid: number | undefined;
  ve: number | undefined;
  re: bigint[] | undefined;
  exp: bigint[] | undefined;
}

function argsFrom(m: MsgMap, source: Uint8Array): Args {
  // Every slot present from the start: one object shape, not one per combination of keys.
  const args: Args = {
    id: readNodeId(m),
    h: undefined,
    target: undefined,
    query: undefined,
    want: undefined,
    token: undefined,
    vid: undefined,
    created: undefined,
    values: undefined,
    sid: undefined,
    ve: undefined,
    re: undefined,
    exp: undefined,
  };
  const keys = m.keys;
  for (let i = keys.length - 1; i >= 0; i--) {
    const val = m.values[i]!;
    switch (keys[i]) {
      case 'h':
        args.h = readHash(val, 'h');
        break;
      case 'target':
        args.target = readHash(val, 'target');
        break;
      case 'q':
        args.query = queryFromMap(readMap(val, 'a.q'));
        break;
      case 'w':
        args.want = wantFrom(val);
        break;
      case 'token':
        args.token = readBlob(val, 'token');
        break;
      case 'vid':
        args.vid = readUint64(val, 'vid');
        break;
      case 'c':
        args.created = readUint(val, 'c', Number.MAX_SAFE_INTEGER);
        break;
      case 'values':
        args.values = valueListFrom(val, source);
        break;
      case 'sid':
        args.sid = readTid(val, 'sid').tid;
        break;
      case 've':
        args.ve = readUint(val, 've');
        break;
      case 're':
        args.re = idList(val, 're');
        break;
      case 'exp':
        args.exp = idList(val, 'exp');
        break;
    }
  }
  return args;
}

const ZERO_ID = new Uint8Array(20);

function requestFrom(q: string | undefined, m: MsgMap, source: Uint8Array): Request {
  switch (q) {
    case 'ping':
      return { type: 'ping', id: readNodeId(m) };
    case 'find': {
      const a = argsFrom(m, source);
      const req: Request = { type: 'find', id: a.id, target: a.target ?? ZERO_ID.slice() };
      if (a.want) req.want = a.want;
      return req;
    }
    case 'get': {
      const a = argsFrom(m, source);
      const req: Extract<Request, { type: 'get' }> = { type: 'get', id: a.id };
      if (a.h) req.key = a.h;
      if (a.query) req.query = a.query;
      if (a.want) req.want = a.want;
      return req;
    }
    case 'put': {
      const a = argsFrom(m, source);
      const req: Extract<Request, { type: 'put' }> = {
        type: 'put',
        id: a.id,
        values: a.values ?? { kind: 'inline', values: [] },
      };
      if (a.h) req.key = a.h;
      if (a.created !== undefined) req.created = a.created;
      if (a.token) req.token = a.token;
      return req;
    }
    case 'refresh': {
      const a = argsFrom(m, source);
      const req: Extract<Request, { type: 'refresh' }> = { type: 'refresh', id: a.id };
      if (a.h) req.key = a.h;
      if (a.vid !== undefined) req.valueId = a.vid;
      if (a.token) req.token = a.token;
      return req;
    }
    case 'listen': {
      const a = argsFrom(m, source);
      const req: Extract<Request, { type: 'listen' }> = {
        type: 'listen',
        id: a.id,
        socketId: a.sid ?? 0,
        version: a.ve ?? 0,
      };
      if (a.h) req.key = a.h;
      if (a.token) req.token = a.token;
      if (a.query) req.query = a.query;
      return req;
    }
    case 'update': {
      const a = argsFrom(m, source);
      const req: Extract<Request, { type: 'update' }> = { type: 'update', id: a.id, socketId: a.sid ?? 0 };
      if (a.h) req.key = a.h;
      if (a.ve !== undefined) req.version = a.ve;
      if (a.values) req.values = a.values;
      if (a.created !== undefined) req.created = a.created;
      if (a.token) req.token = a.token;
      if (a.re) req.refreshed = a.re;
      if (a.exp) req.expired = a.exp;
      return req;
    }
    default:
      return fail('unknown or missing query name');
  }
}

// ---------------------------------------------------------------- fast path

const Q_PING = 1;
const Q_FIND = 2;
const Q_GET = 3;
const Q_LISTEN = 4;

/** Length of the uint at `p` in the encodings read here (fixint, uint8/16/32), or 0. */
function uintLength(b: Uint8Array, p: number): number {
  const v = b[p]!;
  const len = v <= 0x7f ? 1 : v === 0xcc ? 2 : v === 0xcd ? 3 : v === 0xce ? 5 : 0;
  return len !== 0 && p + len <= b.length ? len : 0;
}

/** The uint at `p`, whose length {@link uintLength} gave. */
function uintAt(b: Uint8Array, p: number, len: number): number {
  if (len === 1) return b[p]!;
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

/**
 * The busiest requests (ping, find, get and listen without a query) read straight from the bytes,
 * with no msgpack tree: most of a ping's decoding cost. It takes only the exact shapes OpenDHT
 * sends (one-char top-level keys a q t y v n s, each once; `a` holding id, h, target, w, token,
 * sid, ve, each once, in their usual encodings). Anything else, valid or not, gives undefined and goes the general way, which
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
            // token: a bin8 of any length
            if ((argSeen & 16) !== 0) return undefined;
            argSeen |= 16;
            p += 6;
            if (p + 2 > n || b[p] !== 0xc4) return undefined;
            const len = b[p + 1]!;
            if (p + 2 + len > n) return undefined;
            token = new Uint8Array(len);
            for (let i = 0; i < len; i++) token[i] = b[p + 2 + i]!;
            p += 2 + len;
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
              const len = uintLength(b, p);
              if (len === 0) return undefined;
              sid = uintAt(b, p, len);
              p += len;
            }
          } else if (k0 === 0xa2 && k1 === 0x76 && b[p + 2] === 0x65) {
            // ve: uint32
            if ((argSeen & 64) !== 0) return undefined;
            argSeen |= 64;
            p += 3;
            if (p >= n) return undefined;
            const len = uintLength(b, p);
            if (len === 0) return undefined;
            ve = uintAt(b, p, len);
            p += len;
          } else {
            return undefined;
          }
        }
        break;
      }
      case 0x71: {
        // q: ping, find or get
        if (v === 0xa4 && p + 5 <= n && b[p + 1] === 0x70 && b[p + 2] === 0x69 && b[p + 3] === 0x6e && b[p + 4] === 0x67) q = Q_PING;
        else if (v === 0xa4 && p + 5 <= n && b[p + 1] === 0x66 && b[p + 2] === 0x69 && b[p + 3] === 0x6e && b[p + 4] === 0x64) q = Q_FIND;
        else if (v === 0xa3 && p + 4 <= n && b[p + 1] === 0x67 && b[p + 2] === 0x65 && b[p + 3] === 0x74) q = Q_GET;
        else if (v === 0xa6 && p + 7 <= n && strAt(b, p + 1, 6) === 'listen') q = Q_LISTEN;
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
  } else {
    const req: Extract<Request, { type: 'listen' }> = { type: 'listen', id, socketId: sid ?? 0, version: ve ?? 0 };
    if (h) req.key = h;
    if (token) req.token = token;
    request = req;
  }
  const msg: Message = { tid, networkId, client, kind: 'request', request };
  if (userAgent !== undefined) msg.userAgent = userAgent;
  if (tidAsBin) msg.tidAsBin = true;
  return msg;
}
