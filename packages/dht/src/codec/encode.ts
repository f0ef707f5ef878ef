/**
 * Typed {@link Message} → datagram bytes, reproducing OpenDHT's key order and integer widths
 * (§6a) so that our datagrams are byte-identical to a real node's. Values are copied from
 * `Value.packed` verbatim.
 */

import { releaseScratch, Writer } from './msgpack/writer.js';
import { addressToBytes, parseIpv4 } from './address.js';
import { NODE4_RECORD, NODE6_RECORD, writeNodeRecord } from './nodes.js';
import { writeFields, writeQuery } from './query.js';
import type { Envelope, ErrorBody, Family, LegacyUpdate, Message, NodeRecord, Reply, Request, ValueList, ValuePart } from './types.js';
import { WireFamily } from './types.js';

/** One writer for every message encode: the codec is synchronous and never nests message encodes. */
const shared = new Writer();

export function encodeMessage(msg: Message): Uint8Array {
  write(msg);
  return shared.finish();
}

/**
 * {@link encodeMessage} without the copy: the bytes are a view on the codec's scratch buffer,
 * valid only until the next encode. For a datagram sent at once (replies); a sender that has to
 * keep the view (a socket queueing the send) calls {@link releaseEncodeBuffer} right after.
 */
export function encodeMessageLent(msg: Message): Uint8Array {
  write(msg);
  return shared.lend();
}

/** Leave the scratch buffer to whoever holds a lent view; later encodes use a new one. */
export function releaseEncodeBuffer(): void {
  releaseScratch();
}

function write(msg: Message): void {
  const w = shared;
  w.reset();
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
    for (const v of list.values) {
      if (v.packedText !== undefined) w.latin1(v.packedText);
      else w.raw(v.packed);
    }
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
 * Raw bytes of IPv6 `sa` addresses, cached: every reply carries the requester's address, and
 * parsing IPv6 text per reply would dominate the cost of a pong. Bounded; cleared when full.
 * (IPv4 text is parsed straight into the datagram: cheaper than a map lookup.)
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

/** `sa` and the requester's address bytes; false (nothing written) when the text is not an address. */
function writeSeenAddress(w: Writer, text: string): boolean {
  const start = w.pos;
  w.str('sa');
  w.reserve(6);
  const buf = w.bytes;
  if (parseIpv4(text, buf, w.pos + 2)) {
    buf[w.pos] = 0xc4;
    buf[w.pos + 1] = 4;
    w.pos += 6;
    return true;
  }
  const bytes = seenAddressBytes(text);
  if (bytes === undefined) {
    w.pos = start;
    return false;
  }
  w.bin(bytes);
  return true;
}

/**
 * `key` and a compact node list written in place (no intermediate buffer); records that cannot
 * be written (see {@link writeNodeRecord}) are left out, and an empty list is not written at all.
 */
function writeNodeList(w: Writer, key: string, family: Family, nodes: readonly NodeRecord[]): boolean {
  if (nodes.length === 0) return false;
  const start = w.pos;
  w.str(key);
  const size = family === 4 ? NODE4_RECORD : NODE6_RECORD;
  const max = nodes.length * size;
  // bin8 up to 255 bytes, else bin16 (lists of more than 2520 nodes are not sent).
  const headerBytes = max < 0x100 ? 2 : 3;
  w.reserve(headerBytes + max);
  const buf = w.bytes;
  const data = w.pos + headerBytes;
  let off = data;
  for (let i = 0; i < nodes.length; i++) if (writeNodeRecord(family, nodes[i]!, buf, off)) off += size;
  const len = off - data;
  if (len === 0) {
    w.pos = start;
    return false;
  }
  w.pos = start + key.length + 1;
  if (len < 0x100 && headerBytes === 3) buf.copyWithin(data - 1, data, off);
  w.binHeader(len);
  w.pos += len;
  return true;
}

function writeReply(w: Writer, r: Reply): void {
  // id [vid] sa [n4] [n6] [token] [values | fileds]; at most 8 keys, so the header is one fixmap
  // byte, patched with the count once the optional parts are known.
  w.reserve(1);
  const header = w.pos++;
  let count = 1;
  writeId(w, 'id', r.id);
  if (r.valueId !== undefined) {
    w.str('vid');
    w.uint(r.valueId);
    count++;
  }
  if (r.seenAddress !== undefined && writeSeenAddress(w, r.seenAddress)) count++;
  if (r.nodes4 && writeNodeList(w, 'n4', 4, r.nodes4)) count++;
  if (r.nodes6 && writeNodeList(w, 'n6', 6, r.nodes6)) count++;
  if (r.token) {
    writeId(w, 'token', r.token);
    count++;
  }
  if (r.values) {
    writeValueList(w, r.values);
    count++;
  } else if (r.fields) {
    w.str('fileds');
    writeFields(w, r.fields);
    count++;
  }
  w.bytes[header] = 0x80 | count;
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
