/**
 * Bounds on what one `get` request makes the node send. A get needs no token, so its source
 * address can be spoofed: without bounds, one 60-byte datagram naming a key someone filled with
 * values would send megabytes to the spoofed victim. OpenDHT clients never need big answers: their
 * gets are paginated (`SELECT id` first, then one `WHERE id = x` get per value, §7.3), and OpenDHT
 * readers take a partial answer as it is.
 */
import { packedSize } from '../codec/fragment.js';
import type { SelectedFields, Value } from '../codec/types.js';

/**
 * A `fileds` reply is one datagram (never split into value parts): its entries stay under this,
 * so it fits the 16 KiB datagrams our own nodes accept (`maxDatagramBytes`) with nodes and token.
 * 1024 rows of `SELECT id, seq` take at most 12 KiB.
 */
export const SELECT_REPLY_BYTES = 12 * 1024;

/**
 * The values that fit in `maxBytes` of packed bytes, in storage order; a value that does not fit
 * is skipped and later smaller ones may still go. The first value always goes, whatever its size
 * (at most the 64 KiB value limit), so a `WHERE id = x` get always gets its value.
 */
export function capValues(values: Value[], maxBytes: number): { values: Value[]; truncated: boolean } {
  let total = 0;
  for (const v of values) total += packedSize(v);
  if (total <= maxBytes) return { values, truncated: false };
  const out: Value[] = [];
  let used = 0;
  for (const v of values) {
    const size = packedSize(v);
    if (out.length > 0 && used + size > maxBytes) continue;
    out.push(v);
    used += size;
  }
  return { values: out, truncated: out.length < values.length };
}

/** Msgpack size of one `fileds` entry (uint64, uint, str or bin with their headers). */
function entryBytes(entry: bigint | number | Uint8Array | string): number {
  if (typeof entry === 'bigint') return entry < 128n ? 1 : entry < 256n ? 2 : entry < 65536n ? 3 : entry < 2n ** 32n ? 5 : 9;
  if (typeof entry === 'number') return entry >= 0 && entry < 128 ? 1 : entry < 256 ? 2 : entry < 65536 ? 3 : entry < 2 ** 32 ? 5 : 9;
  const length = typeof entry === 'string' ? Buffer.byteLength(entry) : entry.length;
  return length + (length < 256 ? 2 : length < 65536 ? 3 : 5);
}

/** The first rows of a `fileds` reply: at most `maxRows`, and at least one row, within SELECT_REPLY_BYTES. */
export function capFields(fields: SelectedFields, maxRows: number): { fields: SelectedFields; truncated: boolean } {
  const width = fields.fields.length;
  if (width === 0) return { fields, truncated: false };
  const rows = Math.floor(fields.values.length / width);
  let kept = 0;
  let used = 0;
  while (kept < rows && kept < maxRows) {
    let bytes = 0;
    for (let i = kept * width; i < (kept + 1) * width; i++) bytes += entryBytes(fields.values[i]!);
    if (kept > 0 && used + bytes > SELECT_REPLY_BYTES) break;
    used += bytes;
    kept++;
  }
  if (kept === rows) return { fields, truncated: false };
  return { fields: { fields: fields.fields, values: fields.values.slice(0, kept * width) }, truncated: true };
}
