import { err, ok, type Result } from './result.js';

/** Standard alphabet with padding, as jamid (and the reference server) produce it. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes strict base64. Node's own decoder skips junk silently, which would let two different
 * strings stand for the same key; we store and hand back the client's string verbatim, so it
 * has to be canonical.
 */
export function decodeBase64(text: string, maxBytes: number): Result<Buffer, 'invalid base64' | 'too large'> {
  if (text.length === 0 || !STRICT_BASE64.test(text)) return err('invalid base64');
  if ((text.length / 4) * 3 > maxBytes + 2) return err('too large');
  const bytes = Buffer.from(text, 'base64');
  // Unused low bits of the last character must be zero, or two strings would encode one value.
  return bytes.toString('base64') === text ? ok(bytes) : err('invalid base64');
}
