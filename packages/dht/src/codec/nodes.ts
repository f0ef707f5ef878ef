/**
 * Compact node lists (§5.1): `n4` = 26-byte records (id, IPv4, port), `n6` = 38-byte
 * records (id, IPv6, port); addresses in network order, ports big-endian.
 */

import { ipv4ToString, ipv6ToString, parseIpv4, parseIpv6 } from './address.js';
import type { DecodeResult, Family, NodeRecord } from './types.js';

export const NODE4_RECORD = 26;
export const NODE6_RECORD = 38;

function recordLength(family: Family): number {
  return family === 4 ? NODE4_RECORD : NODE6_RECORD;
}

/** Decode a node list; a length that is not a whole number of records invalidates it. */
export function decodeNodeList(family: Family, bytes: Uint8Array): DecodeResult<NodeRecord[]> {
  const size = recordLength(family);
  if (bytes.length % size !== 0) {
    return { ok: false, error: { reason: `n${family}: length ${bytes.length} not a multiple of ${size}` } };
  }
  const nodes: NodeRecord[] = [];
  for (let off = 0; off < bytes.length; off += size) {
    const id = bytes.slice(off, off + 20);
    const address = family === 4 ? ipv4ToString(bytes, off + 20) : ipv6ToString(bytes, off + 20);
    const port = (bytes[off + size - 2]! << 8) | bytes[off + size - 1]!;
    nodes.push({ id, address, port });
  }
  return { ok: true, value: nodes };
}

/**
 * Encode a node list. Records whose address is not of the list's family (or whose id is not 20
 * bytes) are left out rather than written malformed.
 */
export function encodeNodeList(family: Family, nodes: readonly NodeRecord[]): Uint8Array {
  const size = recordLength(family);
  const out = new Uint8Array(nodes.length * size);
  let off = 0;
  for (const n of nodes) if (writeNodeRecord(family, n, out, off)) off += size;
  return off === out.length ? out : out.slice(0, off);
}

/**
 * One record at `off` in `out` (room for it is the caller's); false, with the bytes there left
 * undefined, when the node has no 20-byte id, no valid port or no address of the family.
 */
export function writeNodeRecord(family: Family, n: NodeRecord, out: Uint8Array, off: number): boolean {
  const ready = n.record;
  if (ready !== undefined && ready.length === recordLength(family)) {
    for (let i = 0; i < ready.length; i++) out[off + i] = ready[i]!;
    return true;
  }
  return packNodeRecord(family, n, out, off);
}

/** {@link writeNodeRecord} from the id, address and port (what a ready `record` is made with). */
export function packNodeRecord(family: Family, n: NodeRecord, out: Uint8Array, off: number): boolean {
  const id = n.id;
  const port = n.port;
  if (id.length !== 20 || !Number.isInteger(port) || port < 0 || port > 0xffff) return false;
  const ok =
    family === 4
      ? parseIpv4(n.address, out, off + 20) || parseMappedIpv4(n.address, out, off + 20)
      : n.address.includes(':') && parseIpv6(n.address, out, off + 20);
  if (!ok) return false;
  for (let i = 0; i < 20; i++) out[off + i] = id[i]!;
  const end = off + (family === 4 ? NODE4_RECORD : NODE6_RECORD);
  out[end - 2] = port >>> 8;
  out[end - 1] = port & 0xff;
  return true;
}

/** `::ffff:a.b.c.d` (as dual-stack sockets report IPv4 peers) written as plain IPv4. */
function parseMappedIpv4(text: string, out: Uint8Array, offset: number): boolean {
  return text.startsWith('::ffff:') && text.includes('.') && parseIpv4(text.slice(7), out, offset);
}
