/**
 * Signed-value verification as OpenDHT storers and readers do it (§10.4): RSA PKCS#1 v1.5 with
 * SHA-512 over the canonical re-encoding of the value's ToSign map, with the key carried in the
 * value (`owner`, DER SubjectPublicKeyInfo).
 */

import { createPublicKey, verify } from 'node:crypto';
import { encodeValueBodyToSign } from '../codec/value.js';
import type { Value } from '../codec/types.js';

/** True when `value` is signed (has an owner) and its signature verifies. */
export function verifyValueSignature(value: Value): boolean {
  const body = value.body;
  if (body?.owner === undefined || value.signature === undefined) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(body.owner), format: 'der', type: 'spki' });
    // OpenDHT identities are RSA and GnuTLS is asked for RSA-SHA512 specifically.
    if (key.asymmetricKeyType !== 'rsa') return false;
    return verify('sha512', encodeValueBodyToSign(body), key, value.signature);
  } catch {
    // An owner that is not a parsable key cannot have signed anything.
    return false;
  }
}
