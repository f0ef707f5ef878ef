/**
 * RFC 8291 message encryption for Web Push (`aes128gcm` content coding, RFC 8188): what a
 * UnifiedPush connector decrypts with the key pair and auth secret it gave its app.
 */
import { createCipheriv, createECDH, hkdfSync } from 'node:crypto';

export interface WebPushKeys {
  /** The subscriber's P-256 public key, uncompressed (65 bytes, 0x04 first). */
  p256dh: Uint8Array;
  /** The subscriber's 16-byte auth secret. */
  auth: Uint8Array;
}

/**
 * Keys from a subscription topic `"<p256dh>|<auth>"` (base64 or base64url, padded or not), or
 * null when the topic carries none (older Jami clients send an empty topic).
 */
export function parseWebPushTopic(topic: string): WebPushKeys | null {
  const parts = topic.split('|');
  if (parts.length !== 2 || !parts.every((p) => /^[A-Za-z0-9+/_-]+=*$/.test(p))) return null;
  const p256dh = new Uint8Array(Buffer.from(parts[0]!, 'base64'));
  const auth = new Uint8Array(Buffer.from(parts[1]!, 'base64'));
  if (p256dh.length !== 65 || p256dh[0] !== 4 || auth.length !== 16) return null;
  return { p256dh, auth };
}

const concat = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts);
const hkdf = (salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, len: number): Buffer => Buffer.from(hkdfSync('sha256', ikm, salt, info, len));

/**
 * Encrypt `plaintext` as one aes128gcm record. `rng` gives the 16-byte salt; `ephemeral` is the
 * sender's fresh P-256 private key (tests pass fixed ones). Throws only if `keys.p256dh` is not a
 * point on the curve; callers check keys with `parseWebPushTopic` and catch that.
 */
export function encryptWebPush(plaintext: Uint8Array, keys: WebPushKeys, salt: Uint8Array, ephemeral?: Uint8Array): Buffer {
  const ecdh = createECDH('prime256v1');
  if (ephemeral !== undefined) ecdh.setPrivateKey(ephemeral);
  else ecdh.generateKeys();
  const asPublic = ecdh.getPublicKey();
  const secret = ecdh.computeSecret(keys.p256dh);
  const keyInfo = concat(Buffer.from('WebPush: info\0'), keys.p256dh, asPublic);
  const ikm = hkdf(keys.auth, secret, keyInfo, 32);
  const cek = hkdf(salt, ikm, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = hkdf(salt, ikm, Buffer.from('Content-Encoding: nonce\0'), 12);
  // One record: the data, then the 0x02 delimiter that marks the last record; no padding.
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  const body = concat(cipher.update(concat(plaintext, Buffer.from([2]))), cipher.final(), cipher.getAuthTag());
  const header = Buffer.alloc(21);
  Buffer.from(salt).copy(header, 0);
  header.writeUInt32BE(Math.max(4096, body.length), 16);
  header[20] = asPublic.length;
  return concat(header, asPublic, body);
}
