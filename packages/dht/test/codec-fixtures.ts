/**
 * Test helpers for the codec: loading the captured OpenDHT vectors and converting their JSON
 * notation (`{"$bin": hex}`, `{"$int": "decimal"}`, `{"$map": [[k, v], ...]}`) to msgpack trees;
 * decoded messages as plain data, to compare them whichever decoder made their values.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { MsgMap, type MsgValue } from '../src/codec/msgpack/reader.js';
import type { Message, Value, ValueList } from '../src/codec/types.js';

/** Copies of the project's captured OpenDHT 2.4.12 and 4.3.1 wire vectors (JSON + README). */
export const VECTOR_DIRS = ['opendht-2.4', 'opendht-4.3'].map((d) => fileURLToPath(new URL(`./codec-vectors/${d}/`, import.meta.url)));

export interface Vector {
  dir: string;
  name: string;
  description: string;
  hex: string;
  bytes: Uint8Array;
  decoded: Json;
  reassembled?: Record<string, { hex: string; decoded: Json }>;
  part_files?: string[];
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function loadVectors(): Vector[] {
  const out: Vector[] = [];
  for (const dir of VECTOR_DIRS) {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const raw = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<Vector, 'dir' | 'name' | 'bytes'>;
      out.push({ ...raw, dir, name: file.replace(/\.json$/, ''), bytes: Uint8Array.from(Buffer.from(raw.hex, 'hex')) });
    }
  }
  return out;
}

export function isObject(j: Json | undefined): j is { [k: string]: Json } {
  return typeof j === 'object' && j !== null && !Array.isArray(j);
}

/** `{"$bin": hex}` → bytes, or undefined when `j` is not a bin. */
export function binOf(j: Json | undefined): Uint8Array | undefined {
  if (isObject(j) && typeof j.$bin === 'string') return Uint8Array.from(Buffer.from(j.$bin, 'hex'));
  return undefined;
}

/** An integer in the JSON notation as bigint (plain numbers or `{"$int"}`). */
export function intOf(j: Json | undefined): bigint | undefined {
  if (typeof j === 'number' && Number.isInteger(j)) return BigInt(j);
  if (isObject(j) && typeof j.$int === 'string') return BigInt(j.$int);
  return undefined;
}

/** JSON notation → msgpack tree (integers as number when safe, bigint above). */
export function jsonToMsg(j: Json): MsgValue {
  if (j === null || typeof j === 'boolean' || typeof j === 'string') return j;
  if (typeof j === 'number') return j;
  if (Array.isArray(j)) return j.map(jsonToMsg);
  if (typeof j.$bin === 'string') return binOf(j)!;
  if (typeof j.$int === 'string') return BigInt(j.$int);
  if (Array.isArray(j.$map)) {
    const entries = j.$map as Json[][];
    return new MsgMap(
      entries.map((e) => jsonToMsg(e[0]!)),
      entries.map((e) => jsonToMsg(e[1]!)),
      0,
      0,
    );
  }
  const keys = Object.keys(j);
  return new MsgMap(
    keys,
    keys.map((k) => jsonToMsg(j[k]!)),
    0,
    0,
  );
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * A value as plain data, read through the Value interface: the fast path's values (WireValue)
 * build `body`, `cypher` and `packed` on demand, and the tree decoder's `packed` is a Buffer when
 * the datagram was one. Checks that `packedText`, when present, holds the same bytes as `packed`.
 */
export function plainValue(v: Value, payloadFirst = false): Value {
  // Fields built on demand must not depend on which is asked first.
  if (payloadFirst) void [v.body?.data, v.cypher];
  const packed = Uint8Array.from(v.packed);
  if (v.packedText !== undefined) assert.equal(Buffer.from(v.packedText, 'latin1').toString('hex'), Buffer.from(packed).toString('hex'), 'packedText = packed');
  const out: Value = { id: v.id, packed };
  if (v.body !== undefined) out.body = v.body;
  if (v.signature !== undefined) out.signature = v.signature;
  if (v.cypher !== undefined) out.cypher = v.cypher;
  if (v.priority !== undefined) out.priority = v.priority;
  if (v.pushType !== undefined) out.pushType = v.pushType;
  return out;
}

function plainList(list: ValueList, payloadFirst: boolean): ValueList {
  return list.kind === 'inline' ? { kind: 'inline', values: list.values.map((v) => plainValue(v, payloadFirst)) } : list;
}

/** A decoded message with its values as {@link plainValue}s (the rest unchanged). */
export function plainMessage(m: Message, payloadFirst = false): Message {
  if (m.kind === 'request' && (m.request.type === 'put' || m.request.type === 'update') && m.request.values !== undefined) {
    return { ...m, request: { ...m.request, values: plainList(m.request.values, payloadFirst) } };
  }
  if (m.kind === 'reply' && m.reply.values !== undefined) return { ...m, reply: { ...m.reply, values: plainList(m.reply.values, payloadFirst) } };
  return m;
}
