/**
 * msgpack writer producing the bytes msgpack-c (OpenDHT) produces: smallest integer encoding,
 * str8/bin8 for short strings and blobs, map keys in the order the caller writes them. Callers
 * write headers and items explicitly, so no intermediate object tree is built.
 *
 * One module-level scratch buffer is reused by every encode (the codec is synchronous and never
 * nests encodes); {@link Writer.finish} copies out exactly the bytes written, and
 * {@link Writer.lend} lends them without a copy, until the next encode.
 */

import { MsgFloat, MsgMap, type MsgValue } from './reader.js';
import { latin1Write } from '../latin1.js';

const encoder = new TextEncoder();

let scratch: Uint8Array = new Uint8Array(2048);
let scratchView: DataView = new DataView(scratch.buffer);

/**
 * The last Writer made stays alive until the next one: V8 keeps a class's object shape (map) only
 * while an instance holds it, and full collections under `--optimize-for-size` skip map retention,
 * so with no Writer alive the shape died and every optimized encoder was deoptimized (see reader.ts).
 */
export const writerShapeKeeper: { writer?: Writer } = {};

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor() {
    this.buf = scratch;
    this.view = scratchView;
    writerShapeKeeper.writer = this;
  }

  /** Start over on the current scratch buffer (one Writer serves many encodes). */
  reset(): void {
    this.buf = scratch;
    this.view = scratchView;
    this.pos = 0;
  }

  /** Make room for `n` more bytes at `pos` (callers writing into {@link bytes} directly). */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
    // Keep the grown buffer for later encodes, up to a size worth keeping around.
    if (size <= 1 << 20) {
      scratch = grown;
      scratchView = this.view;
    }
  }

  /** The encoded bytes, in a buffer of their own. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /**
   * The encoded bytes as a view on the scratch buffer: no allocation, but only valid until the
   * next encode. Whoever must keep them longer copies them, or calls {@link releaseScratch}.
   */
  lend(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** The buffer being written (valid up to `pos` after a {@link reserve}). */
  get bytes(): Uint8Array {
    return this.buf;
  }

  nil(): void {
    this.reserve(1);
    this.buf[this.pos++] = 0xc0;
  }

  bool(v: boolean): void {
    this.reserve(1);
    this.buf[this.pos++] = v ? 0xc3 : 0xc2;
  }

  /** Non-negative integer in its smallest encoding. `number` inputs must be safe integers. */
  uint(v: number | bigint): void {
    if (typeof v === 'bigint') {
      if (v <= 0xffffffffn) {
        this.uint(Number(v));
        return;
      }
      this.reserve(9);
      this.buf[this.pos] = 0xcf;
      this.view.setBigUint64(this.pos + 1, BigInt.asUintN(64, v));
      this.pos += 9;
      return;
    }
    this.reserve(9);
    const buf = this.buf;
    if (v < 0x80) {
      buf[this.pos++] = v;
    } else if (v < 0x100) {
      buf[this.pos++] = 0xcc;
      buf[this.pos++] = v;
    } else if (v < 0x10000) {
      buf[this.pos++] = 0xcd;
      buf[this.pos++] = v >>> 8;
      buf[this.pos++] = v & 0xff;
    } else if (v < 0x100000000) {
      buf[this.pos] = 0xce;
      this.view.setUint32(this.pos + 1, v);
      this.pos += 5;
    } else {
      buf[this.pos] = 0xcf;
      this.view.setBigUint64(this.pos + 1, BigInt(v));
      this.pos += 9;
    }
  }

  /** Any integer, smallest encoding (negative ones as msgpack-c writes them). */
  int(v: number | bigint): void {
    if (v >= 0) {
      this.uint(v);
      return;
    }
    this.reserve(9);
    const n = Number(v);
    if (typeof v === 'number' && n >= -32) {
      this.buf[this.pos++] = n & 0xff;
    } else if (typeof v === 'number' && n >= -0x80) {
      this.buf[this.pos++] = 0xd0;
      this.view.setInt8(this.pos++, n);
    } else if (typeof v === 'number' && n >= -0x8000) {
      this.buf[this.pos] = 0xd1;
      this.view.setInt16(this.pos + 1, n);
      this.pos += 3;
    } else if (typeof v === 'number' && n >= -0x80000000) {
      this.buf[this.pos] = 0xd2;
      this.view.setInt32(this.pos + 1, n);
      this.pos += 5;
    } else {
      this.buf[this.pos] = 0xd3;
      this.view.setBigInt64(this.pos + 1, BigInt(v));
      this.pos += 9;
    }
  }

  float64(v: number): void {
    this.reserve(9);
    this.buf[this.pos] = 0xcb;
    this.view.setFloat64(this.pos + 1, v);
    this.pos += 9;
  }

  str(s: string): void {
    const len = s.length;
    // Fast path for short ASCII strings (keys, query names, user agents).
    if (len < 32) {
      this.reserve(1 + len);
      const buf = this.buf;
      const start = this.pos;
      let ascii = true;
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        buf[start + 1 + i] = c;
      }
      if (ascii) {
        buf[start] = 0xa0 | len;
        this.pos = start + 1 + len;
        return;
      }
    }
    const bytes = encoder.encode(s);
    this.strHeader(bytes.length);
    this.raw(bytes);
  }

  strHeader(len: number): void {
    this.reserve(5);
    if (len < 32) this.buf[this.pos++] = 0xa0 | len;
    else this.sizedHeader(len, 0xd9);
  }

  bin(bytes: Uint8Array): void {
    this.binHeader(bytes.length);
    this.raw(bytes);
  }

  binHeader(len: number): void {
    this.reserve(5);
    this.sizedHeader(len, 0xc4);
  }

  /** A str or bin length in its 8-, 16- or 32-bit form, whose codes follow `code8`; 5 bytes reserved. */
  private sizedHeader(len: number, code8: number): void {
    const buf = this.buf;
    if (len < 0x100) {
      buf[this.pos++] = code8;
      buf[this.pos++] = len;
    } else if (len < 0x10000) {
      buf[this.pos++] = code8 + 1;
      buf[this.pos++] = len >>> 8;
      buf[this.pos++] = len & 0xff;
    } else {
      buf[this.pos] = code8 + 2;
      this.view.setUint32(this.pos + 1, len);
      this.pos += 5;
    }
  }

  arrayHeader(count: number): void {
    this.header(count, 0x90, 0xdc);
  }

  mapHeader(count: number): void {
    this.header(count, 0x80, 0xde);
  }

  /** Array and map headers differ only in their codes: fix form below 16, then 16-bit (`code16`), then 32-bit (`code16 + 1`). */
  private header(count: number, fix: number, code16: number): void {
    this.reserve(5);
    const buf = this.buf;
    if (count < 16) {
      buf[this.pos++] = fix | count;
    } else if (count < 0x10000) {
      buf[this.pos++] = code16;
      buf[this.pos++] = count >>> 8;
      buf[this.pos++] = count & 0xff;
    } else {
      buf[this.pos] = code16 + 1;
      this.view.setUint32(this.pos + 1, count);
      this.pos += 5;
    }
  }

  /** Already-encoded msgpack bytes held as a latin1 string (one char per byte), copied verbatim. */
  latin1(s: string): void {
    const len = s.length;
    this.reserve(len);
    latin1Write(this.buf, this.pos, s);
    this.pos += len;
  }

  /** Already-encoded msgpack bytes (e.g. a value's `packed` form), copied verbatim. */
  raw(bytes: Uint8Array): void {
    const len = bytes.length;
    this.reserve(len);
    const buf = this.buf;
    let pos = this.pos;
    if (len <= 32) {
      // Ids, tokens, addresses: a loop is cheaper than the call into TypedArray.prototype.set.
      for (let i = 0; i < len; i++) buf[pos++] = bytes[i]!;
    } else {
      buf.set(bytes, pos);
      pos += len;
    }
    this.pos = pos;
  }
}

/**
 * Give up the scratch buffer to a holder of a {@link Writer.lend} view (a send the socket had to
 * queue): later encodes write into a new one.
 */
export function releaseScratch(): void {
  scratch = new Uint8Array(scratch.length);
  scratchView = new DataView(scratch.buffer);
}

/** Write a decoded msgpack tree back (used to re-encode generic data, e.g. in tests and fuzzing). */
export function writeValue(w: Writer, v: MsgValue): void {
  if (v === null) w.nil();
  else if (typeof v === 'boolean') w.bool(v);
  else if (typeof v === 'number' || typeof v === 'bigint') w.int(v);
  else if (typeof v === 'string') w.str(v);
  else if (v instanceof Uint8Array) w.bin(v);
  else if (Array.isArray(v)) {
    w.arrayHeader(v.length);
    for (const item of v) writeValue(w, item);
  } else if (v instanceof MsgMap) {
    w.mapHeader(v.size);
    for (let i = 0; i < v.size; i++) {
      writeValue(w, v.keys[i]!);
      writeValue(w, v.values[i]!);
    }
  } else if (v instanceof MsgFloat) w.float64(v.value);
  else {
    w.raw(extHeader(v.data.length));
    w.raw(Uint8Array.of(v.type));
    w.raw(v.data);
  }
}

function extHeader(len: number): Uint8Array {
  switch (len) {
    case 1:
      return Uint8Array.of(0xd4);
    case 2:
      return Uint8Array.of(0xd5);
    case 4:
      return Uint8Array.of(0xd6);
    case 8:
      return Uint8Array.of(0xd7);
    case 16:
      return Uint8Array.of(0xd8);
  }
  if (len < 0x100) return Uint8Array.of(0xc7, len);
  if (len < 0x10000) return Uint8Array.of(0xc8, len >>> 8, len & 0xff);
  return Uint8Array.of(0xc9, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
}
