/**
 * Queries (`q = {s: [field ids], w: [{f, v}]}`, §11) and the `fileds` reply carrying the
 * selected fields of matching values.
 */

import type { MsgMap } from './msgpack/reader.js';
import type { Writer } from './msgpack/writer.js';
import { fail, readArray, readBlob, readHash, readMap, readUint, readUint64 } from './fields.js';
import { Field, type FieldFilter, type Query, type SelectedFields } from './types.js';

/** Decode `q`; both `s` and `w` are required (OpenDHT drops the whole datagram otherwise). */
export function queryFromMap(m: MsgMap): Query {
  const s = m.get('s');
  const w = m.get('w');
  if (s === undefined || w === undefined) fail('q: needs both s and w');
  const select = readArray(s, 'q.s').map((f) => readUint(f, 'q.s field', 0xff));
  const where = readArray(w, 'q.w').map((item) => filterFromMap(readMap(item, 'q.w item')));
  return { select, where };
}

function filterFromMap(m: MsgMap): FieldFilter {
  const field = readUint(m.get('f'), 'q.w.f', 0xff);
  const v = m.get('v');
  switch (field) {
    case Field.id:
      return { field, value: readUint64(v, 'q.w.v id') };
    case Field.valueType:
    case Field.seq:
      return { field, value: readUint(v, 'q.w.v', 0xffff) };
    case Field.ownerPk:
      return { field, value: readHash(v, 'q.w.v owner') };
    case Field.userType:
      return { field, value: readBlob(v, 'q.w.v user type') };
    default:
      return fail('q.w: unknown field');
  }
}

export function writeQuery(w: Writer, q: Query): void {
  w.mapHeader(2);
  w.str('s');
  w.arrayHeader(q.select.length);
  for (const f of q.select) w.uint(f);
  w.str('w');
  w.arrayHeader(q.where.length);
  for (const f of q.where) {
    w.mapHeader(2);
    w.str('f');
    w.uint(f.field);
    w.str('v');
    writeFieldValue(w, f.value);
  }
}

function writeFieldValue(w: Writer, v: bigint | number | Uint8Array | string): void {
  if (typeof v === 'string') w.str(v);
  else if (v instanceof Uint8Array) w.bin(v);
  else w.uint(v);
}

/**
 * Decode `fileds = {f, v}`: fields sorted and deduplicated (OpenDHT reads them as a set), `v`
 * truncated to whole rows. An absent or empty `f` is invalid (HEAD rejects it).
 */
export function fieldsFromMap(m: MsgMap): SelectedFields {
  const fRaw = m.get('f');
  if (fRaw === undefined) fail('fileds: missing f');
  const fields = [...new Set(readArray(fRaw, 'fileds.f').map((f) => readUint(f, 'fileds.f', 0xff)))].sort((a, b) => a - b);
  if (fields.length === 0) fail('fileds: empty f');
  const vRaw = m.get('v');
  const flat = vRaw === undefined ? [] : readArray(vRaw, 'fileds.v');
  const rows = Math.floor(flat.length / fields.length);
  const values: SelectedFields['values'] = [];
  for (let i = 0; i < rows * fields.length; i++) {
    const field = fields[i % fields.length];
    const item = flat[i];
    if (field === Field.id) values.push(readUint64(item, 'fileds.v id'));
    else if (typeof item === 'number' || typeof item === 'bigint' || typeof item === 'string' || item instanceof Uint8Array) values.push(item);
    else fail('fileds.v: unexpected type');
  }
  return { fields, values };
}

export function writeFields(w: Writer, f: SelectedFields): void {
  w.mapHeader(2);
  w.str('f');
  w.arrayHeader(f.fields.length);
  for (const id of f.fields) w.uint(id);
  w.str('v');
  w.arrayHeader(f.values.length);
  for (const v of f.values) writeFieldValue(w, v);
}
