/**
 * Datagram → typed {@link Message}, with OpenDHT's acceptance rules (§4): classification
 * order e, r, p, u, then `y`/`q`; ids and keys must be bin(20); a field of the wrong type makes the
 * whole datagram invalid; unknown keys are ignored. Never throws.
 */

import { decodeMsgpack, MsgMap, type MsgValue } from './msgpack/reader.js';
import { addressFromBytes } from './address.js';
import { fail, Invalid, readArray, readBlob, readBool, readHash, readMap, readNodeId, readString, readTid, readUint, readUint64 } from './fields.js';
import { decodeNodeList } from './nodes.js';
import { fieldsFromMap, queryFromMap } from './query.js';
import { tryValueFromTree } from './value.js';
import type { DecodeResult, ErrorBody, Family, LegacyUpdate, Message, NodeRecord, Reply, Request, SelectedFields, ValueList, ValuePart } from './types.js';
import { WireFamily } from './types.js';
import { fastRequest } from './fast-request.js';

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
