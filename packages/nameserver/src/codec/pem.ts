import { decodeBase64 } from './base64.js';
import { err, ok, type Result } from './result.js';

const BEGIN = '-----BEGIN PUBLIC KEY-----';
const END = '-----END PUBLIC KEY-----';

/**
 * Extracts the DER SubjectPublicKeyInfo from the PEM text of a `publickey` field. OpenDHT 2.4
 * exports the PEM with GnuTLS's terminating NUL byte (the text ends `\n\0`), newer versions do not;
 * both are accepted. Only `PUBLIC KEY` blocks are: Jami IDs are hashes of the SPKI form.
 */
export function decodePublicKeyPem(pem: Uint8Array): Result<Buffer, 'invalid pem'> {
  let end = pem.length;
  if (end > 0 && pem[end - 1] === 0) end -= 1;
  const text = Buffer.from(pem.subarray(0, end)).toString('latin1');
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 3 || lines[0] !== BEGIN || lines[lines.length - 1] !== END) return err('invalid pem');
  const body = lines.slice(1, -1).join('');
  const der = decodeBase64(body, pem.length);
  return der.ok ? ok(der.value) : err('invalid pem');
}
