/** The `{hash}` path parameter → a 20-byte key, the way OpenDHT's proxy reads it. */
import { createHash } from 'node:crypto';

const HEX40 = /^[0-9a-fA-F]{40}/;

/**
 * 40 leading hex digits (either case) are the key itself, anything after them ignored; any other
 * text (shorter, not hex, or all zeros) is hashed with SHA-1 as it appears in the path.
 */
export function keyFromParam(param: string): Uint8Array {
  const m = HEX40.exec(param);
  if (m !== null) {
    const bytes = Buffer.from(m[0], 'hex');
    if (bytes.some((b) => b !== 0)) return new Uint8Array(bytes);
  }
  return new Uint8Array(createHash('sha1').update(param, 'latin1').digest());
}
