/**
 * Typed readers for fields of a decoded msgpack tree, with OpenDHT's acceptance rules. They signal
 * a field that makes the whole datagram invalid by throwing {@link Invalid}, which the message
 * decoders catch and turn into a `DecodeError`; nothing escapes the codec.
 */

import { MsgMap, type MsgValue } from './msgpack/reader.js';
import type { InfoHash } from './types.js';

/** Internal control-flow signal (not an `Error`: no stack trace is captured). */
export class Invalid {
  constructor(readonly reason: string) {}
}

export function fail(reason: string): never {
  throw new Invalid(reason);
}

/** Unsigned integer not above `max` (any msgpack width; signed formats holding a non-negative value too). */
export function readUint(v: MsgValue | undefined, what: string, max = 0xffffffff): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  return fail(`${what}: expected uint ≤ ${max}`);
}

/** Unsigned 64-bit integer, always as bigint (value ids). */
export function readUint64(v: MsgValue | undefined, what: string): bigint {
  if (typeof v === 'number' && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n) return v;
  return fail(`${what}: expected uint64`);
}

/**
 * Transaction / socket id: a uint32, or (old format, still accepted by OpenDHT) 4 raw bytes as
 * bin or str read big-endian.
 */
export function readTid(v: MsgValue | undefined, what: string): { tid: number; asBin: boolean } {
  if (typeof v === 'number') return { tid: readUint(v, what), asBin: false };
  if (v instanceof Uint8Array && v.length === 4) {
    return { tid: ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0, asBin: true };
  }
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    if (b.length === 4) return { tid: b.readUInt32BE(0), asBin: true };
  }
  return fail(`${what}: expected uint32 or 4 bytes`);
}

/** A 20-byte hash: OpenDHT accepts only a bin of exactly 20 bytes. */
export function readHash(v: MsgValue | undefined, what: string): InfoHash {
  if (v instanceof Uint8Array && v.length === 20) return v;
  return fail(`${what}: expected bin(20)`);
}

/** A "blob" field: bin, or leniently a str or an array of byte-sized ints, as OpenDHT accepts. */
export function readBlob(v: MsgValue | undefined, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Uint8Array.from(Buffer.from(v, 'utf8'));
  if (Array.isArray(v)) {
    const out = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const b = v[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < -128 || b > 255) return fail(`${what}: bad byte`);
      out[i] = b & 0xff;
    }
    return out;
  }
  return fail(`${what}: expected bin`);
}

/** A string field: str, or a bin holding the text (msgpack-c converts both to std::string). */
export function readString(v: MsgValue | undefined, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return fail(`${what}: expected str`);
}

export function readMap(v: MsgValue | undefined, what: string): MsgMap {
  if (v instanceof MsgMap) return v;
  return fail(`${what}: expected map`);
}

export function readArray(v: MsgValue | undefined, what: string): MsgValue[] {
  if (Array.isArray(v)) return v;
  return fail(`${what}: expected array`);
}

export function readBool(v: MsgValue | undefined, what: string): boolean {
  if (typeof v === 'boolean') return v;
  return fail(`${what}: expected bool`);
}

/** Non-zero 20-byte sender id, mandatory in every request, reply, error and `u`. */
export function readNodeId(map: MsgMap): InfoHash {
  const id = readHash(map.get('id'), 'id');
  for (let i = 0; i < 20; i++) if (id[i] !== 0) return id;
  return fail('id: zero');
}
