/**
 * Whether a value may be stored (§13.2) and whether it may replace a stored value with the same
 * id (§13.3), following what OpenDHT's SecureDht registers. Each check returns the reason for
 * refusing, or undefined to accept.
 */

import { encodeValueBodyToSign, valueSize, WireValue } from '../codec/value.js';
import type { InfoHash, Value } from '../codec/types.js';
import { certificateKeyIds, verifyValueSignature } from '../codec/signature.js';
import { typeRule, ValueType } from './value-types.js';

/** Reasons a put is refused; also the keys of `stats().rejected`. */
export type RejectReason =
  | 'invalid-id'
  | 'too-large'
  | 'expired'
  | 'bad-signature'
  | 'bad-certificate'
  | 'not-editable'
  | 'wrong-owner'
  | 'old-seq'
  | 'key-full'
  | 'too-many-keys'
  | 'source-keys-full'
  | 'storage-full';

/** The type whose rules apply: encrypted values carry none and are user data to a storer. */
export function valueType(v: Value): number {
  // Read without building the body a WireValue makes only on demand.
  if (v instanceof WireValue) return v.bodyType < 0 ? ValueType.userData : v.bodyType;
  return v.body?.type ?? ValueType.userData;
}

/** Store policy for a value id not yet stored at `key`. */
export function storeRejection(key: InfoHash, v: Value, maxValueSize: number): RejectReason | undefined {
  if (valueSize(v) > maxValueSize) return 'too-large';
  if (typeRule(valueType(v)) === 'certificate') {
    // Stored at its public key's id: SHA-1(SPKI) for OpenDHT 2.4, SHA-1(SHA-256(SPKI)) for
    // ≥ 2.5.4 (3.7.2+ publishes only there). A LAN box serves both generations.
    const ids = certificateKeyIds(v);
    return ids !== undefined && (bytesEqual(ids.keyId, key) || bytesEqual(ids.longIdHash, key)) ? undefined : 'bad-certificate';
  }
  // The fast path's shapes (WireValue) carry no owner: nothing to verify, no body to build.
  if (!(v instanceof WireValue) && v.body?.owner !== undefined && !verifyValueSignature(v)) return 'bad-signature';
  return undefined;
}

/** Edit policy: may `next` replace `old` (same key, same id, different content)? */
export function editRejection(old: Value, next: Value, maxValueSize: number): RejectReason | undefined {
  if (valueSize(next) > maxValueSize) return 'too-large';
  switch (typeRule(valueType(old))) {
    case 'certificate': {
      // Only a certificate for the same public key may replace a certificate.
      const before = certificateKeyIds(old);
      const after = certificateKeyIds(next);
      return before !== undefined && after !== undefined && bytesEqual(before.keyId, after.keyId) ? undefined : 'bad-certificate';
    }
    case 'plain':
      return 'not-editable';
    case 'secure': {
      const oldBody = old.body;
      const newBody = next.body;
      if (oldBody?.owner === undefined) return 'not-editable';
      if (newBody?.owner === undefined || !bytesEqual(oldBody.owner, newBody.owner)) return 'wrong-owner';
      if (!verifyValueSignature(next)) return 'bad-signature';
      const oldSeq = oldBody.seq ?? 0;
      const newSeq = newBody.seq ?? 0;
      if (newSeq < oldSeq) return 'old-seq';
      // The same seq is a re-announcement (possibly by someone else) only with the same content.
      if (newSeq === oldSeq && !bytesEqual(encodeValueBodyToSign(oldBody), encodeValueBodyToSign(newBody))) return 'old-seq';
      return undefined;
    }
  }
}

/**
 * OpenDHT's notion of "the same value" for a put of an id already stored (which is then a
 * refresh): same ciphertext, or same owner, type, data, user type and signature. Priority and
 * push type are not compared.
 */
export function sameContent(a: Value, b: Value): boolean {
  if (a.cypher !== undefined || b.cypher !== undefined) {
    return a.cypher !== undefined && b.cypher !== undefined && bytesEqual(a.cypher, b.cypher);
  }
  const x = a.body;
  const y = b.body;
  if (x === undefined || y === undefined) return x === y;
  return (
    optionalBytesEqual(x.owner, y.owner) &&
    x.type === y.type &&
    bytesEqual(x.data, y.data) &&
    (x.userType ?? '') === (y.userType ?? '') &&
    optionalBytesEqual(a.signature, b.signature)
  );
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function optionalBytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined || b === undefined ? a === b : bytesEqual(a, b);
}
