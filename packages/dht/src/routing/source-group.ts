/**
 * Who counts as one source, for storage quotas and request rate limits alike. OpenDHT counts per
 * source address; we do the same, but put a whole IPv6 /64 in one group, because one host can use
 * any number of addresses inside its /64 and would otherwise multiply its quota at will.
 * Link-local addresses are grouped per address: every host of a link shares fe80::/64, so on an
 * offline LAN a /64 group would make all IPv6 clients share one budget.
 */
import { addressToBytes, ipv4ToString } from '../codec/address.js';

/** Source of the values the node stores for itself (its own puts, the proxy's). */
export const LOCAL_SOURCE = 'local';

/**
 * The group of a requester address: the IPv4 address itself (IPv4-mapped IPv6 is read as IPv4),
 * the whole link-local IPv6 address (without its zone), or the first 64 bits of any other IPv6
 * address written as `xxxx:xxxx:xxxx:xxxx::/64`. Anything else (already a group name,
 * `LOCAL_SOURCE`) is returned unchanged.
 */
export function sourceGroup(address: string): string {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const bytes = addressToBytes(bare);
  if (bytes === undefined) return address;
  if (bytes.length === 4) return ipv4ToString(bytes);
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = bytes[i] === 0;
  if (mapped) return ipv4ToString(bytes, 12);
  const linkLocal = bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
  const groups: string[] = [];
  for (let i = 0; i < (linkLocal ? 16 : 8); i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return linkLocal ? groups.join(':') : `${groups.join(':')}::/64`;
}
