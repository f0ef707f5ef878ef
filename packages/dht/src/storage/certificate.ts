/**
 * Certificate values (type 8). OpenDHT publishes a certificate as a value whose `data` is a
 * msgpack bin holding the PEM text of the chain (leaf first), and accepts it only at the key
 * derived from the leaf's public key: SHA-1 of the DER SubjectPublicKeyInfo (OpenDHT 2.4, the
 * Debian dhtnode) or SHA-1 of SHA-256 of it, `h(PkId)` (OpenDHT ≥ 2.5.4; 3.7.2+ publishes only
 * there). A LAN box serves both generations, so both keys are accepted.
 */

import { createHash, X509Certificate } from 'node:crypto';

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';

/**
 * The DER SubjectPublicKeyInfo of the leaf certificate in a type-8 value's data, or undefined
 * when the data holds no parsable certificate. Like OpenDHT's reader, looks for PEM anywhere in
 * the data (it follows a msgpack bin header), then tries DER.
 */
export function certificateSpki(data: Uint8Array): Uint8Array | undefined {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const text = bytes.toString('latin1');
  const begin = text.indexOf(PEM_BEGIN);
  let candidate: Buffer | string | undefined;
  if (begin >= 0) {
    const end = text.indexOf(PEM_END, begin);
    if (end < 0) return undefined;
    candidate = text.slice(begin, end + PEM_END.length);
  } else {
    candidate = derPayload(bytes);
  }
  if (candidate === undefined) return undefined;
  try {
    const cert = new X509Certificate(candidate);
    return new Uint8Array(cert.publicKey.export({ type: 'spki', format: 'der' }));
  } catch {
    return undefined;
  }
}

/** Whether `key` is one of the two keys a certificate with this public key may be stored at. */
export function isCertificateKey(spki: Uint8Array, key: Uint8Array): boolean {
  const keyId = createHash('sha1').update(spki).digest();
  if (keyId.equals(key)) return true;
  const longId = createHash('sha256').update(spki).digest();
  return createHash('sha1').update(longId).digest().equals(key);
}

/** DER data, possibly inside a msgpack bin (bin8/16/32) as OpenDHT packs a certificate. */
function derPayload(bytes: Buffer): Buffer | undefined {
  const tag = bytes[0];
  const header = tag === 0xc4 ? 2 : tag === 0xc5 ? 3 : tag === 0xc6 ? 5 : 0;
  if (header === 0) return bytes;
  if (bytes.length < header) return undefined;
  const len = header === 2 ? bytes.readUInt8(1) : header === 3 ? bytes.readUInt16BE(1) : bytes.readUInt32BE(1);
  return bytes.length >= header + len ? bytes.subarray(header, header + len) : undefined;
}
