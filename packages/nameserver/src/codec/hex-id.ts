import { err, ok, type Result } from './result.js';

const HEX40 = /^[0-9a-f]{40}$/;

/**
 * Parses a 160-bit identifier (Jami ID or Ethereum-style owner) as 40 hex digits. The reference
 * server and its docs print these with `0x`, old clients with `ring:`, current ones with `jami:` or
 * bare; all of them are accepted and the bare lowercase form is returned.
 */
export function decodeHexId(text: string): Result<string, 'invalid id'> {
  if (text.length > 48) return err('invalid id');
  let rest = text;
  const lower = rest.toLowerCase();
  if (lower.startsWith('jami:') || lower.startsWith('ring:')) rest = rest.slice(5);
  if (rest.startsWith('0x') || rest.startsWith('0X')) rest = rest.slice(2);
  const hex = rest.toLowerCase();
  return HEX40.test(hex) ? ok(hex) : err('invalid id');
}
