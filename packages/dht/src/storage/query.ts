/**
 * Queries on stored values (§11): WHERE is a conjunction of equality filters, SELECT picks fields
 * for a `fileds` reply. Id and type are checked on the stored record; the other fields need the
 * decoded value, which the caller supplies lazily.
 */

import { publicKeyId } from '../codec/signature.js';
import { Field, type FieldFilter, type FieldId, type Value } from '../codec/types.js';
import { bytesEqual, valueType } from './policy.js';

/** What a filter is checked against: cheap fields plus the decoded value on demand. */
export interface Candidate {
  id: bigint;
  type: number;
  decoded(): Value | undefined;
}

const utf8 = new TextEncoder();
const ZERO_ID = new Uint8Array(20);

/** True when the candidate satisfies every filter. Unknown fields do not filter (as in OpenDHT). */
export function matchesWhere(c: Candidate, where: readonly FieldFilter[]): boolean {
  for (const f of where) {
    if (!matchesFilter(c, f)) return false;
  }
  return true;
}

function matchesFilter(c: Candidate, f: FieldFilter): boolean {
  switch (f.field) {
    case Field.id:
      return typeof f.value !== 'object' && c.id === BigInt(f.value);
    case Field.valueType:
      return typeof f.value !== 'object' && BigInt(c.type) === BigInt(f.value);
    case Field.seq: {
      const v = c.decoded();
      return v !== undefined && typeof f.value !== 'object' && BigInt(v.body?.seq ?? 0) === BigInt(f.value);
    }
    case Field.ownerPk: {
      // The filter carries the owner's public-key id; unsigned values never match.
      const owner = c.decoded()?.body?.owner;
      return owner !== undefined && f.value instanceof Uint8Array && bytesEqual(publicKeyId(owner), f.value);
    }
    case Field.userType: {
      const v = c.decoded();
      const wanted = f.value instanceof Uint8Array ? f.value : utf8.encode(String(f.value));
      return v !== undefined && bytesEqual(utf8.encode(v.body?.userType ?? ''), wanted);
    }
    default:
      return true;
  }
}

/** The fields of a `fileds` reply: known ids only, sorted ascending, without duplicates. */
export function selectedFields(select: readonly FieldId[]): FieldId[] {
  const known = new Set<number>(Object.values(Field));
  return [...new Set(select)].filter((f) => known.has(f)).sort((a, b) => a - b);
}

/** One value's entries of a `fileds` reply, in `fields` order (§11.3 encodings). */
export function fieldEntries(v: Value, fields: readonly FieldId[]): Array<bigint | number | Uint8Array | string> {
  const out: Array<bigint | number | Uint8Array | string> = [];
  for (const f of fields) {
    switch (f) {
      case Field.id:
        out.push(v.id);
        break;
      case Field.valueType:
        out.push(valueType(v));
        break;
      case Field.ownerPk:
        // OpenDHT writes the owner's DER key here (20 zero bytes when unsigned).
        out.push(v.body?.owner ?? ZERO_ID);
        break;
      case Field.seq:
        out.push(v.body?.seq ?? 0);
        break;
      case Field.userType:
        out.push(v.body?.userType ?? '');
        break;
    }
  }
  return out;
}
