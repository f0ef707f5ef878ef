/**
 * Typed {@link Message} → datagram bytes, reproducing OpenDHT's key order and integer widths
 * (§6a) so that our datagrams are byte-identical to a real node's. Values are copied from
 * `Value.packed` verbatim.
 */

import { Writer } from './msgpack/writer.js';
import { addressToBytes } from './address.js';
import { encodeNodeList } from './nodes.js';
import { writeFields, writeQuery } from './query.js';
import type { Envelope, ErrorBody, Family, LegacyUpdate, Message, Reply, Request, ValueList, ValuePart } from './types.js';
import { WireFamily } from './types.js';

export function encodeMessage(msg: Message): Uint8Array {
  const w = new Writer();
  switch (msg.kind) {
    case 'request':
      writeRequest(w, msg, msg.request);
      break;
    case 'reply':
      w.mapHeader(3 + envelopeCount(msg));
      w.str('r');
      writeReply(w, msg.reply);
      writeTid(w, msg);
      writeY(w, 'r');
      writeTail(w, msg);
      break;
    case 'error':
      w.mapHeader(4 + envelopeCount(msg));
      w.str('e');
      writeError(w, msg.error);
      writeTid(w, msg);
      writeY(w, 'e');
      writeTail(w, msg);
      break;
    case 'legacy-update':
      // Order seen on the wire: u y v [n] [s] t.
      w.mapHeader(3 + envelopeCount(msg));
      w.str('u');
      writeLegacyUpdate(w, msg.update);
      writeY(w, 'r');
      writeTail(w, msg);
      writeTid(w, msg);
      break;
    case 'value-part':
      // Value parts carry no user agent; n and s come first: [n] [s] y t p.
      w.mapHeader(3 + (msg.networkId ? 1 : 0) + (msg.client ? 1 : 0));
      writeNetwork(w, msg);
      writeY(w, 'p');
      writeTid(w, msg);
      w.str('p');
      writeParts(w, msg.parts);
      break;
  }
  return w.finish();
}

/** Number of optional envelope keys (`v`, `n`, `s`) present. */
function envelopeCount(env: Envelope): number {
  return (env.userAgent !== undefined ? 1 : 0) + (env.networkId ? 1 : 0) + (env.client ? 1 : 0);
}

function writeTid(w: Writer, env: Envelope): void {
  w.str('t');
  if (env.tidAsBin) {
    const t = env.tid >>> 0;
    w.bin(Uint8Array.of(t >>> 24, (t >>> 16) & 0xff, (t >>> 8) & 0xff, t & 0xff));
  } else {
    w.uint(env.tid >>> 0);
  }
}

function writeY(w: Writer, y: string): void {
  w.str('y');
  w.str(y);
}

function writeNetwork(w: Writer, env: Envelope): void {
  if (env.networkId) {
    w.str('n');
    w.uint(env.networkId);
  }
  if (env.client) {
    w.str('s');
    w.bool(true);
  }
}

/** `v`, then `n` and `s`: the keys that close every message but value parts. */
function writeTail(w: Writer, env: Envelope): void {
  if (env.userAgent !== undefined) {
    w.str('v');
    w.str(env.userAgent);
  }
  writeNetwork(w, env);
}

function writeRequest(w: Writer, env: Envelope, req: Request): void {
  const notification = req.type === 'update' && req.values === undefined;
  w.mapHeader(4 + envelopeCount(env));
  w.str('a');
  writeArgs(w, req);
  if (notification) {
    // `update` carrying re/exp ids: OpenDHT builds it as a y v [n] [s] q t.
    writeY(w, 'q');
    writeTail(w, env);
    w.str('q');
    w.str(req.type);
    writeTid(w, env);
  } else {
    w.str('q');
    w.str(req.type);
    writeTid(w, env);
    writeY(w, 'q');
    writeTail(w, env);
  }
}

function writeId(w: Writer, key: string, id: Uint8Array): void {
  w.str(key);
  w.bin(id);
}

function writeWant(w: Writer, want: Family[]): void {
  w.str('w');
  w.arrayHeader(want.length);
  for (const f of want) w.uint(f === 4 ? WireFamily.inet : WireFamily.inet6);
}

function writeValueList(w: Writer, list: ValueList): void {
  w.str('values');
  if (list.kind === 'inline') {
    w.arrayHeader(list.values.length);
    for (const v of list.values) w.raw(v.packed);
  } else {
    w.arrayHeader(list.sizes.length);
    for (const s of list.sizes) w.uint(s);
  }
}

function writeIdList(w: Writer, key: string, ids: bigint[]): void {
  w.str(key);
  w.arrayHeader(ids.length);
  for (const id of ids) w.uint(id);
}

function writeArgs(w: Writer, req: Request): void {
  switch (req.type) {
    case 'ping':
      w.mapHeader(1);
      writeId(w, 'id', req.id);
      return;
    case 'find':
      w.mapHeader(2 + (req.want ? 1 : 0));
      writeId(w, 'id', req.id);
      writeId(w, 'target', req.target);
      if (req.want) writeWant(w, req.want);
      return;
    case 'get':
      w.mapHeader(1 + (req.key ? 1 : 0) + (req.query ? 1 : 0) + (req.want ? 1 : 0));
      writeId(w, 'id', req.id);
      if (req.key) writeId(w, 'h', req.key);
      if (req.query) {
        w.str('q');
        writeQuery(w, req.query);
      }
      if (req.want) writeWant(w, req.want);
      return;
    case 'put':
      w.mapHeader(2 + (req.key ? 1 : 0) + (req.created !== undefined ? 1 : 0) + (req.token ? 1 : 0));
      writeId(w, 'id', req.id);
      if (req.key) writeId(w, 'h', req.key);
      writeValueList(w, req.values);
      if (req.created !== undefined) {
        w.str('c');
        w.uint(req.created);
      }
      if (req.token) writeId(w, 'token', req.token);
      return;
    case 'refresh':
      w.mapHeader(1 + (req.key ? 1 : 0) + (req.valueId !== undefined ? 1 : 0) + (req.token ? 1 : 0));
      writeId(w, 'id', req.id);
      if (req.key) writeId(w, 'h', req.key);
      if (req.valueId !== undefined) {
        w.str('vid');
        w.uint(req.valueId);
      }
      if (req.token) writeId(w, 'token', req.token);
      return;
    case 'listen': {
      // `ve` is omitted for version 0 (legacy listeners never sent it).
      const n = 2 + (req.version ? 1 : 0) + (req.key ? 1 : 0) + (req.token ? 1 : 0) + (req.query ? 1 : 0);
      w.mapHeader(n);
      writeId(w, 'id', req.id);
      if (req.version) {
        w.str('ve');
        w.uint(req.version);
      }
      if (req.key) writeId(w, 'h', req.key);
      if (req.token) writeId(w, 'token', req.token);
      w.str('sid');
      w.uint(req.socketId >>> 0);
      if (req.query) {
        w.str('q');
        writeQuery(w, req.query);
      }
      return;
    }
    case 'update': {
      // id ve h sid [values] [c] [token] [re] [exp]: the values form carries ve, h and values; the
      // refreshed/expired form has none of them (OpenDHT sends no h and no ve there).
      const n =
        2 +
        (req.version !== undefined ? 1 : 0) +
        (req.key ? 1 : 0) +
        (req.values !== undefined ? 1 : 0) +
        (req.created !== undefined ? 1 : 0) +
        (req.token ? 1 : 0) +
        (req.refreshed ? 1 : 0) +
        (req.expired ? 1 : 0);
      w.mapHeader(n);
      writeId(w, 'id', req.id);
      if (req.version !== undefined) {
        w.str('ve');
        w.uint(req.version);
      }
      if (req.key) writeId(w, 'h', req.key);
      w.str('sid');
      w.uint(req.socketId >>> 0);
      if (req.values !== undefined) writeValueList(w, req.values);
      if (req.created !== undefined) {
        w.str('c');
        w.uint(req.created);
      }
      if (req.token) writeId(w, 'token', req.token);
      if (req.refreshed) writeIdList(w, 're', req.refreshed);
      if (req.expired) writeIdList(w, 'exp', req.expired);
      return;
    }
  }
}

/**
 * Raw bytes of `sa` addresses, cached: every reply carries the requester's address, and parsing
 * IPv6 text per reply would dominate the cost of a pong. Bounded; cleared when full.
 */
const seenAddressCache = new Map<string, Uint8Array | undefined>();
const SEEN_ADDRESS_CACHE = 1024;

function seenAddressBytes(text: string): Uint8Array | undefined {
  let bytes = seenAddressCache.get(text);
  if (bytes === undefined && !seenAddressCache.has(text)) {
    bytes = addressToBytes(text);
    if (seenAddressCache.size >= SEEN_ADDRESS_CACHE) seenAddressCache.clear();
    seenAddressCache.set(text, bytes);
  }
  return bytes;
}

function writeReply(w: Writer, r: Reply): void {
  const sa = r.seenAddress !== undefined ? seenAddressBytes(r.seenAddress) : undefined;
  const n4 = r.nodes4 && r.nodes4.length > 0 ? encodeNodeList(4, r.nodes4) : undefined;
  const n6 = r.nodes6 && r.nodes6.length > 0 ? encodeNodeList(6, r.nodes6) : undefined;
  const hasN4 = n4 !== undefined && n4.length > 0;
  const hasN6 = n6 !== undefined && n6.length > 0;
  const fields = r.values === undefined ? r.fields : undefined;
  w.mapHeader(
    1 + (r.valueId !== undefined ? 1 : 0) + (sa ? 1 : 0) + (hasN4 ? 1 : 0) + (hasN6 ? 1 : 0) + (r.token ? 1 : 0) + (r.values ? 1 : 0) + (fields ? 1 : 0),
  );
  // id [vid] sa [n4] [n6] [token] [values | fileds]
  writeId(w, 'id', r.id);
  if (r.valueId !== undefined) {
    w.str('vid');
    w.uint(r.valueId);
  }
  if (sa) writeId(w, 'sa', sa);
  if (hasN4) writeId(w, 'n4', n4);
  if (hasN6) writeId(w, 'n6', n6);
  if (r.token) writeId(w, 'token', r.token);
  if (r.values) writeValueList(w, r.values);
  if (fields) {
    w.str('fileds');
    writeFields(w, fields);
  }
}

function writeError(w: Writer, e: ErrorBody): void {
  w.arrayHeader(2);
  w.uint(e.code);
  w.str(e.message);
  w.str('r');
  w.mapHeader(1);
  writeId(w, 'id', e.id);
}

function writeLegacyUpdate(w: Writer, u: LegacyUpdate): void {
  w.mapHeader(1 + (u.token ? 1 : 0) + (u.refreshed ? 1 : 0) + (u.expired ? 1 : 0));
  writeId(w, 'id', u.id);
  if (u.token) writeId(w, 'token', u.token);
  if (u.refreshed) writeIdList(w, 're', u.refreshed);
  if (u.expired) writeIdList(w, 'exp', u.expired);
}

function writeParts(w: Writer, parts: ValuePart[]): void {
  w.mapHeader(parts.length);
  for (const p of parts) {
    w.uint(p.index);
    w.mapHeader(2);
    w.str('o');
    w.uint(p.offset);
    w.str('d');
    w.bin(p.data);
  }
}
