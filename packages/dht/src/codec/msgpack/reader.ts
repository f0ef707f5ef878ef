/**
 * A small msgpack reader of our own rather than a general-purpose library, because the DHT needs
 * properties generic decoders do not give together:
 * - str and bin stay distinct (`string` vs `Uint8Array`): OpenDHT drops ids sent as str;
 * - integers above 2^53-1 come back as `bigint` (64-bit value ids), smaller ones as `number`;
 * - maps keep key order, accept non-string keys (value parts use integer keys) and remember the
 *   byte span they were read from, so a value's exact bytes can be kept (`Value.packed`);
 * - decoding is bounded: every length or count is checked against the bytes left before anything
 *   is allocated (a header claiming 2^32 elements in a 50-byte datagram fails at once), nesting
 *   is limited, and malformed input yields `undefined`, never an exception to the caller.
 */

/** A msgpack map: keys and values in wire order, plus the byte span it occupied. */
export class MsgMap {
  readonly keys: MsgValue[];
  readonly values: MsgValue[];
  /** Offset of the map's first byte in the decoded buffer. */
  start: number;
  /** Offset just past the map's last byte. */
  end: number;

  constructor(keys: MsgValue[], values: MsgValue[], start: number, end: number) {
    this.keys = keys;
    this.values = values;
    this.start = start;
    this.end = end;
  }

  get size(): number {
    return this.keys.length;
  }

  /** First value stored under `key` (msgpack-c's lookup also returns the first match). */
  get(key: string | number): MsgValue | undefined {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) return this.values[i];
    }
    return undefined;
  }

  has(key: string | number): boolean {
    return this.keys.indexOf(key) !== -1;
  }
}

/** A float: kept apart from integers so that a float is never mistaken for a uint field. */
export class MsgFloat {
  constructor(readonly value: number) {}
}

/** An extension value (never used by OpenDHT; kept so that such input decodes rather than fails). */
export class MsgExt {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

export type MsgValue = null | boolean | number | bigint | string | Uint8Array | MsgValue[] | MsgMap | MsgFloat | MsgExt;

/** Nesting deeper than this is refused; OpenDHT messages nest at most 6 levels. */
export const MAX_DEPTH = 32;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Thrown internally only; caught in {@link decodeMsgpack}. A constant, so throwing costs no stack capture. */
const MALFORMED: unique symbol = Symbol('malformed msgpack');

const utf8 = new TextDecoder('utf-8');

/**
 * Cache of short ASCII strings (keys, query names, user agents): direct-mapped, so a lookup is
 * two array reads and a peer spraying made-up keys only overwrites slots (its size is fixed).
 */
const SHORT_STRING_SLOTS = 1024;
const shortStringCodes = new Float64Array(SHORT_STRING_SLOTS).fill(-1);
const shortStrings: string[] = new Array<string>(SHORT_STRING_SLOTS).fill('');

/**
 * The internalized copy of a string (as a property name it is looked up in V8's string table):
 * decoders compare keys with `switch`, which is a pointer comparison only between internalized
 * strings.
 */
function internalized(s: string): string {
  const holder: Record<string, number> = {};
  holder[s] = 0;
  return Object.keys(holder)[0] ?? s;
}

export interface DecodedMsgpack {
  value: MsgValue;
  /** Bytes consumed. */
  end: number;
}

/**
 * Every decode uses the one Reader below, which lives as long as the process. Besides sparing an
 * object per datagram, that keeps its object shape (map) alive: V8 keeps a class's map only while
 * an instance (or its map retention) holds it, and under `--optimize-for-size` (which the
 * appliance sets) full collections skip map retention, so with short-lived Readers the shape died
 * at each full GC and every optimized function reading msgpack was deoptimized and compiled again.
 */
/**
 * Decode one msgpack value starting at `offset`. Returns `undefined` when the input is malformed,
 * truncated, nested deeper than {@link MAX_DEPTH}, or declares more elements than it can hold.
 */
export function decodeMsgpack(bytes: Uint8Array, offset = 0): DecodedMsgpack | undefined {
  // One reader for every decode: a decode runs to its end before the next one starts.
  const reader = shared;
  reader.reset(bytes, offset);
  try {
    const value = reader.read(0);
    return { value, end: reader.pos };
  } catch {
    // MALFORMED, or anything a hostile input could still provoke: never a crash for the caller.
    return undefined;
  } finally {
    // Do not pin the datagram until the next decode.
    reader.reset(EMPTY, 0);
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The str of `len` bytes at `start` (bounds checked by the caller): short ASCII strings (map keys,
 * query names, user agents) come from the cache, so the same key is the same internalized string
 * every time, with no string building per datagram; anything else is decoded as UTF-8.
 */
export function strAt(bytes: Uint8Array, start: number, len: number): string {
  const end = start + len;
  if (len > 6) return utf8.decode(bytes.subarray(start, end));
  let code = 0;
  let hash = len;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) return utf8.decode(bytes.subarray(start, end));
    code = code * 128 + c;
    hash = (hash * 31 + c) | 0;
  }
  code = code * 8 + len; // keeps "\0a" apart from "a" (exact: below 2^45)
  const slot = (hash ^ (hash >>> 12)) & (SHORT_STRING_SLOTS - 1);
  if (shortStringCodes[slot] === code) return shortStrings[slot]!;
  const s = internalized(String.fromCharCode.apply(null, Array.from(bytes.subarray(start, end))));
  shortStringCodes[slot] = code;
  shortStrings[slot] = s;
  return s;
}

class Reader {
  pos = 0;
  private bytes: Uint8Array = EMPTY;
  /** Made only for the rare floats and 64-bit integers: a DataView per datagram costs more than the rest of a ping's decode. */
  private dataView: DataView | undefined = undefined;

  reset(bytes: Uint8Array, offset: number): void {
    this.bytes = bytes;
    this.pos = offset;
    this.dataView = undefined;
  }

  private get view(): DataView {
    if (this.dataView === undefined) {
      const b = this.bytes;
      this.dataView = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return this.dataView;
  }

  private need(n: number): void {
    if (n > this.bytes.length - this.pos) throw MALFORMED;
  }

  read(depth: number): MsgValue {
    const bytes = this.bytes;
    if (this.pos >= bytes.length) throw MALFORMED;
    const start = this.pos;
    const b = bytes[this.pos++]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.map(b & 0x0f, depth, start);
    if (b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b <= 0xbf) return this.str(b & 0x1f);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(this.u8());
      case 0xc5:
        return this.bin(this.u16());
      case 0xc6:
        return this.bin(this.u32());
      case 0xc7:
        return this.ext(this.u8());
      case 0xc8:
        return this.ext(this.u16());
      case 0xc9:
        return this.ext(this.u32());
      case 0xca: {
        this.need(4);
        const f = this.view.getFloat32(this.pos);
        this.pos += 4;
        return new MsgFloat(f);
      }
      case 0xcb: {
        this.need(8);
        const f = this.view.getFloat64(this.pos);
        this.pos += 8;
        return new MsgFloat(f);
      }
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf: {
        this.need(8);
        const v = this.view.getBigUint64(this.pos);
        this.pos += 8;
        return v <= MAX_SAFE ? Number(v) : v;
      }
      case 0xd0: {
        this.need(1);
        return this.view.getInt8(this.pos++);
      }
      case 0xd1: {
        this.need(2);
        const v = this.view.getInt16(this.pos);
        this.pos += 2;
        return v;
      }
      case 0xd2:
        return this.u32() | 0;
      case 0xd3: {
        this.need(8);
        const v = this.view.getBigInt64(this.pos);
        this.pos += 8;
        return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
      }
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(this.u16());
      case 0xdb:
        return this.str(this.u32());
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth, start);
      case 0xdf:
        return this.map(this.u32(), depth, start);
      default:
        // 0xc1 is "never used" in the msgpack spec.
        throw MALFORMED;
    }
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  private bin(len: number): Uint8Array {
    this.need(len);
    // A copy, and a plain Uint8Array: decoded ids, tokens and payloads outlive the datagram. (A
    // datagram from node:dgram is a Buffer, whose slice() is a view on it, not a copy.)
    const bytes = this.bytes;
    const start = this.pos;
    const out = new Uint8Array(len);
    if (len <= 32) for (let i = 0; i < len; i++) out[i] = bytes[start + i]!;
    else out.set(bytes.subarray(start, start + len));
    this.pos = start + len;
    return out;
  }

  private str(len: number): string {
    this.need(len);
    const start = this.pos;
    this.pos = start + len;
    return strAt(this.bytes, start, len);
  }

  private ext(len: number): MsgExt {
    this.need(1 + len);
    const type = this.bytes[this.pos]!;
    this.pos += 1;
    const data = new Uint8Array(len);
    data.set(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return new MsgExt(type, data);
  }

  private array(count: number, depth: number): MsgValue[] {
    // Every element takes at least one byte: refuse counts the remaining input cannot hold.
    if (count > this.bytes.length - this.pos) throw MALFORMED;
    if (depth >= MAX_DEPTH) throw MALFORMED;
    const out = new Array<MsgValue>(count);
    for (let i = 0; i < count; i++) out[i] = this.read(depth + 1);
    return out;
  }

  private map(count: number, depth: number, start: number): MsgMap {
    // Every entry takes at least two bytes (key and value).
    if (count * 2 > this.bytes.length - this.pos) throw MALFORMED;
    if (depth >= MAX_DEPTH) throw MALFORMED;
    const keys = new Array<MsgValue>(count);
    const values = new Array<MsgValue>(count);
    for (let i = 0; i < count; i++) {
      keys[i] = this.read(depth + 1);
      values[i] = this.read(depth + 1);
    }
    return new MsgMap(keys, values, start, this.pos);
  }
}

const shared = new Reader();
