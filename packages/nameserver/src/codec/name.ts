import { err, ok, type Result } from './result.js';

/**
 * The name rule of the reference server and docs (and what jamid 13 checks locally before sending):
 * 3 to 32 characters out of lowercase ASCII letters, digits, `-` and `_`.
 */
const NAME_RULE = /^[a-z0-9_-]{3,32}$/;

/** Longest raw path segment worth decoding: 32 characters, each at most `%XX` (3 bytes of UTF-8 would be 9). */
const MAX_RAW_SEGMENT = 32 * 9;

/**
 * Lowercases ASCII letters only. jamid lowercases byte-wise before signing; a Unicode-aware
 * lowercase would also fold e.g. KELVIN SIGN (U+212A) to `k` and let a different string collide
 * with a registered ASCII name.
 */
export function asciiLowercase(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Canonical form of a name given by an operator or found in an export file. */
export function normalizeName(text: string): Result<string, 'invalid name'> {
  const lower = asciiLowercase(text);
  return NAME_RULE.test(lower) ? ok(lower) : err('invalid name');
}

/**
 * Decodes the `<name>` path segment of `/name/<name>`: percent-decoding (newer daemons encode
 * everything but unreserved characters), ASCII lowercasing (older daemons lowercase, newer ones send
 * the name as typed), then the name rule.
 */
export function decodeNameSegment(raw: string): Result<string, 'invalid name'> {
  if (raw.length > MAX_RAW_SEGMENT) return err('invalid name');
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return err('invalid name');
  }
  return normalizeName(decoded);
}
