/**
 * Value signatures and public-key ids (§3, §10.4, §13.1). OpenDHT signs the canonical
 * ToSign encoding with RSA PKCS#1 v1.5 + SHA-512; `owner` is the signer's DER
 * SubjectPublicKeyInfo. Verification re-encodes ToSign from the decoded fields, as OpenDHT does.
 */

import { createHash, createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { decodeMsgpack } from './msgpack/reader.js';
import { encodeValueBodyToSign } from './value.js';
import { latin1Text } from './latin1.js';
import type { InfoHash, Value } from './types.js';

/** OpenDHT's certificate value type id. */
export const CERTIFICATE_TYPE = 8;

/** `PublicKey::getId()`: SHA-1 of the DER SubjectPublicKeyInfo (where 2.4 stores certificates). */
export function publicKeyId(ownerDer: Uint8Array): InfoHash {
  return Uint8Array.from(createHash('sha1').update(ownerDer).digest());
}

/** `PkId` ("long id"): SHA-256 of the DER SubjectPublicKeyInfo. */
export function publicKeyLongId(ownerDer: Uint8Array): Uint8Array {
  return Uint8Array.from(createHash('sha256').update(ownerDer).digest());
}

/** `h(PkId)` = SHA-1(SHA-256(SPKI)): where OpenDHT ≥ 3.5 stores certificates. */
export function publicKeyLongIdHash(ownerDer: Uint8Array): InfoHash {
  return Uint8Array.from(createHash('sha1').update(publicKeyLongId(ownerDer)).digest());
}

/** True when the value is signed and its signature verifies with its own `owner` key. */
export function verifyValueSignature(v: Value): boolean {
  const body = v.body;
  if (body === undefined || body.owner === undefined || v.signature === undefined || body.seq === undefined) {
    return false;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(body.owner), format: 'der', type: 'spki' });
  } catch {
    return false;
  }
  if (key.asymmetricKeyType !== 'rsa') return false; // OpenDHT checks RSA-SHA512 only (§20)
  try {
    return verify('sha512', encodeValueBodyToSign(body), key, v.signature);
  } catch {
    return false;
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;

/**
 * The leaf certificate carried by a type-8 value: `data` is a msgpack bin holding the PEM chain
 * (leaf first); raw PEM or DER in `data` are accepted too, as OpenDHT scans for PEM then DER.
 */
export function certificateFromValue(v: Value): X509Certificate | undefined {
  const data = v.body?.data;
  if (data === undefined || v.body?.type !== CERTIFICATE_TYPE) return undefined;
  let payload = data;
  const inner = decodeMsgpack(data);
  if (inner !== undefined && inner.end === data.length && inner.value instanceof Uint8Array) payload = inner.value;
  const text = latin1Text(payload);
  const pem = PEM_CERT.exec(text);
  try {
    return new X509Certificate(pem ? pem[0] : Buffer.from(payload));
  } catch {
    return undefined;
  }
}

/**
 * Both storage keys of a certificate value's public key: `keyId` = SHA-1(SPKI) (2.4) and
 * `longIdHash` = SHA-1(SHA-256(SPKI)) (≥ 3.5). `undefined` if the value holds no parsable
 * certificate.
 */
export function certificateKeyIds(v: Value): { keyId: InfoHash; longIdHash: InfoHash } | undefined {
  const cert = certificateFromValue(v);
  if (cert === undefined) return undefined;
  // A certificate can parse while its key cannot be read (unknown algorithm, mangled key bits):
  // node:crypto throws then, and a peer's bytes must never throw into the node.
  let spki: Uint8Array;
  try {
    spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
  return { keyId: publicKeyId(spki), longIdHash: publicKeyLongIdHash(spki) };
}
