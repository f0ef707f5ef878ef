/**
 * The subset of msgpack that peer discovery needs: a total decoder into a small value tree
 * (any msgpack object, because unknown services may carry anything and must be skipped), and
 * an encoder for the few shapes we send (unsigned ints, str, bin, array and map headers), always
 * in the smallest encoding, as msgpack-c's packer does.
 */
import { fail, ok, type Result } from './result.js';

/** A decoded msgpack map, keeping entry order and non-string keys. */
export interface MsgMap {
  readonly kind: 'map';
  readonly entries: ReadonlyArray<readonly [MsgValue, MsgValue]>;
}

/** A msgpack extension object (kept opaque). */
export interface MsgExt {
  readonly kind: 'ext';
  readonly type: number;
  readonly data: Uint8Array;
}

/** Integers beyond 2^53 come out as bigint; floats as number. */
export type MsgValue = null | boolean | number | bigint | string | Uint8Array | MsgValue[] | MsgMap | MsgExt;

/** Deeper nesting than this is rejected (discovery values are at most two levels deep). */
export const MAX_DEPTH = 16;

const utf8 = new TextDecoder('utf-8', { fatal: false });

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Reads an unsigned big-endian integer of 1, 2 or 4 bytes; undefined when truncated. */
  uint(size: 1 | 2 | 4): number | undefined {
    if (this.remaining() < size) return undefined;
    const at = this.pos;
    this.pos += size;
    return size === 1 ? this.view.getUint8(at) : size === 2 ? this.view.getUint16(at) : this.view.getUint32(at);
  }

  /** Returns a view (no copy) of the next `n` bytes; undefined when truncated. */
  take(n: number): Uint8Array | undefined {
    if (this.remaining() < n) return undefined;
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  dataView(): DataView {
    return this.view;
  }
}

type Step = Result<MsgValue>;

const truncated = (): Step => fail('malformed', 'truncated');

/**
 * Decodes exactly one msgpack object filling all of `bytes`. Never throws; allocation is
 * bounded by the input (every array/map element needs at least one input byte, checked before
 * allocating).
 */
export function decodeMsgpack(bytes: Uint8Array): Result<MsgValue> {
  const reader = new Reader(bytes);
  const res = readValue(reader, 0);
  if (res.ok && reader.remaining() !== 0) return fail('malformed', `${reader.remaining()} trailing bytes`);
  return res;
}

function readValue(r: Reader, depth: number): Step {
  if (depth > MAX_DEPTH) return fail('malformed', 'nesting too deep');
  const tag = r.uint(1);
  if (tag === undefined) return truncated();
  if (tag <= 0x7f) return ok(tag);
  if (tag >= 0xe0) return ok(tag - 0x100);
  if (tag >= 0xa0 && tag <= 0xbf) return readStr(r, tag & 0x1f);
  if (tag >= 0x90 && tag <= 0x9f) return readArray(r, tag & 0x0f, depth);
  if (tag >= 0x80 && tag <= 0x8f) return readMap(r, tag & 0x0f, depth);
  switch (tag) {
    case 0xc0:
      return ok(null);
    case 0xc2:
      return ok(false);
    case 0xc3:
      return ok(true);
    case 0xc4:
    case 0xc5:
    case 0xc6: {
      const n = r.uint(tag === 0xc4 ? 1 : tag === 0xc5 ? 2 : 4);
      const data = n === undefined ? undefined : r.take(n);
      return data === undefined ? truncated() : ok(data);
    }
    case 0xc7:
    case 0xc8:
    case 0xc9: {
      const n = r.uint(tag === 0xc7 ? 1 : tag === 0xc8 ? 2 : 4);
      return n === undefined ? truncated() : readExt(r, n);
    }
    case 0xca:
    case 0xcb: {
      const size = tag === 0xca ? 4 : 8;
      const at = r.pos;
      if (r.take(size) === undefined) return truncated();
      return ok(size === 4 ? r.dataView().getFloat32(at) : r.dataView().getFloat64(at));
    }
    case 0xcc:
    case 0xcd:
    case 0xce: {
      const n = r.uint(tag === 0xcc ? 1 : tag === 0xcd ? 2 : 4);
      return n === undefined ? truncated() : ok(n);
    }
    case 0xcf:
    case 0xd3: {
      const at = r.pos;
      if (r.take(8) === undefined) return truncated();
      const big = tag === 0xcf ? r.dataView().getBigUint64(at) : r.dataView().getBigInt64(at);
      const asNumber = Number(big);
      return ok(Number.isSafeInteger(asNumber) ? asNumber : big);
    }
    case 0xd0:
    case 0xd1:
    case 0xd2: {
      const size = tag === 0xd0 ? 1 : tag === 0xd1 ? 2 : 4;
      const at = r.pos;
      if (r.take(size) === undefined) return truncated();
      const v = r.dataView();
      return ok(size === 1 ? v.getInt8(at) : size === 2 ? v.getInt16(at) : v.getInt32(at));
    }
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return readExt(r, 1 << (tag - 0xd4));
    case 0xd9:
    case 0xda:
    case 0xdb: {
      const n = r.uint(tag === 0xd9 ? 1 : tag === 0xda ? 2 : 4);
      return n === undefined ? truncated() : readStr(r, n);
    }
    case 0xdc:
    case 0xdd: {
      const n = r.uint(tag === 0xdc ? 2 : 4);
      return n === undefined ? truncated() : readArray(r, n, depth);
    }
    case 0xde:
    case 0xdf: {
      const n = r.uint(tag === 0xde ? 2 : 4);
      return n === undefined ? truncated() : readMap(r, n, depth);
    }
    default:
      return fail('malformed', `reserved byte 0x${tag.toString(16)}`);
  }
}

function readStr(r: Reader, n: number): Step {
  const data = r.take(n);
  // msgpack-c does not validate UTF-8; invalid sequences become U+FFFD rather than an error.
  return data === undefined ? truncated() : ok(utf8.decode(data));
}

function readExt(r: Reader, n: number): Step {
  const type = r.uint(1);
  const data = type === undefined ? undefined : r.take(n);
  if (type === undefined || data === undefined) return truncated();
  return ok({ kind: 'ext', type: type > 0x7f ? type - 0x100 : type, data });
}

function readArray(r: Reader, n: number, depth: number): Step {
  if (n > r.remaining()) return truncated();
  const items: MsgValue[] = [];
  for (let i = 0; i < n; i++) {
    const item = readValue(r, depth + 1);
    if (!item.ok) return item;
    items.push(item.value);
  }
  return ok(items);
}

function readMap(r: Reader, n: number, depth: number): Step {
  if (n * 2 > r.remaining()) return truncated();
  const entries: Array<readonly [MsgValue, MsgValue]> = [];
  for (let i = 0; i < n; i++) {
    const key = readValue(r, depth + 1);
    if (!key.ok) return key;
    const value = readValue(r, depth + 1);
    if (!value.ok) return value;
    entries.push([key.value, value.value]);
  }
  return ok({ kind: 'map', entries });
}

/** Appends msgpack items in their smallest encoding. */
export class MsgWriter {
  private readonly parts: number[] = [];

  /** Unsigned integer up to 2^32-1 (all discovery integers are uint16 ports or uint32 ids). */
  uint(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not a uint32: ${n}`);
    if (n <= 0x7f) this.parts.push(n);
    else if (n <= 0xff) this.parts.push(0xcc, n);
    else if (n <= 0xffff) this.parts.push(0xcd, n >> 8, n & 0xff);
    else this.parts.push(0xce, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    return this;
  }

  str(s: string): this {
    const data = new TextEncoder().encode(s);
    const n = data.length;
    if (n <= 31) this.parts.push(0xa0 | n);
    else if (n <= 0xff) this.parts.push(0xd9, n);
    else if (n <= 0xffff) this.parts.push(0xda, n >> 8, n & 0xff);
    else this.parts.push(0xdb, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    for (const b of data) this.parts.push(b);
    return this;
  }

  bin(data: Uint8Array): this {
    const n = data.length;
    if (n <= 0xff) this.parts.push(0xc4, n);
    else if (n <= 0xffff) this.parts.push(0xc5, n >> 8, n & 0xff);
    else this.parts.push(0xc6, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    for (const b of data) this.parts.push(b);
    return this;
  }

  array(count: number): this {
    return this.header(count, 0x90, 0xdc);
  }

  map(count: number): this {
    return this.header(count, 0x80, 0xde);
  }

  /** Appends bytes that are already msgpack (a pre-encoded service value). */
  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.parts.push(b);
    return this;
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }

  private header(count: number, fix: number, tag16: number): this {
    if (count <= 15) this.parts.push(fix | count);
    else if (count <= 0xffff) this.parts.push(tag16, count >> 8, count & 0xff);
    else this.parts.push(tag16 + 1, count >>> 24, (count >> 16) & 0xff, (count >> 8) & 0xff, count & 0xff);
    return this;
  }
}
