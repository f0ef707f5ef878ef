import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Attr, FINGERPRINT_XOR, HEADER_LENGTH } from './constants.js';
import { crc32 } from './crc32.js';
import type { DecodedMessage } from './message.js';

/**
 * Long-term credential key, MD5(username ":" realm ":" password) (RFC 5389 §15.4).
 * SASLprep is not applied: Jami's and coturn's credentials are ASCII.
 */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest();
}

/** Copy of `prefix` with the header length field replaced, as both MI and FINGERPRINT are computed. */
function withLength(prefix: Uint8Array, bodyLength: number): Buffer {
  const copy = Buffer.from(prefix);
  copy.writeUInt16BE(bodyLength, 2);
  return copy;
}

/** HMAC-SHA1 over `prefix` (header + attributes before MI) with the length field set to `bodyLength`. */
export function computeIntegrity(prefix: Uint8Array, bodyLength: number, key: Uint8Array): Uint8Array {
  return createHmac('sha1', key).update(withLength(prefix, bodyLength)).digest();
}

export function computeFingerprint(prefix: Uint8Array, bodyLength: number): number {
  return (crc32(withLength(prefix, bodyLength)) ^ FINGERPRINT_XOR) >>> 0;
}

function indexOf(message: DecodedMessage, type: number): number {
  return message.attributes.findIndex((a) => a.type === type);
}

/** `undefined` when the message carries no MESSAGE-INTEGRITY, otherwise whether it matches `key`. */
export function verifyIntegrity(message: DecodedMessage, key: Uint8Array): boolean | undefined {
  const i = indexOf(message, Attr.MessageIntegrity);
  if (i < 0) return undefined;
  const value = message.attributes[i]?.value as Uint8Array;
  const offset = message.offsets[i] as number;
  if (value.length !== 20) return false;
  const mac = computeIntegrity(message.raw.subarray(0, offset), offset - HEADER_LENGTH + 24, key);
  return timingSafeEqual(mac, value);
}

/** `undefined` when there is no FINGERPRINT; false when it is wrong or not the last attribute. */
export function verifyFingerprint(message: DecodedMessage): boolean | undefined {
  const i = indexOf(message, Attr.Fingerprint);
  if (i < 0) return undefined;
  const value = message.attributes[i]?.value as Uint8Array;
  const offset = message.offsets[i] as number;
  if (i !== message.attributes.length - 1 || value.length !== 4) return false;
  const expected = computeFingerprint(message.raw.subarray(0, offset), offset - HEADER_LENGTH + 8);
  return Buffer.from(value).readUInt32BE(0) === expected;
}
