/**
 * Quota groups for stored values: who pays for a value. OpenDHT accounts storage per source
 * address; we do the same, but put a whole IPv6 /64 in one group, because one host can use any
 * number of addresses inside its /64 and would otherwise multiply its quota at will. Link-local
 * addresses are grouped per address: every host of a link shares fe80::/64, so on an offline LAN a
 * /64 group would make all IPv6 clients share one quota.
 */

import { isIPv4, isIPv6 } from 'node:net';

/** Source of the values the node stores for itself (its own puts, the proxy's). */
export const LOCAL_SOURCE = 'local';

/**
 * The quota group of a requester address: the IPv4 address itself (IPv4-mapped IPv6 is read as
 * IPv4), the whole link-local IPv6 address (without its zone), or the first 64 bits of any other
 * IPv6 address written as `xxxx:xxxx:xxxx:xxxx::/64`. Anything else (already a group name,
 * `LOCAL_SOURCE`) is returned unchanged.
 */
export function sourceGroup(address: string): string {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zoneless = bare.split('%', 1)[0] ?? bare;
  if (isIPv4(zoneless)) return zoneless;
  if (!isIPv6(zoneless)) return address;
  const groups = expandIPv6(zoneless);
  if (groups === undefined) return address;
  // ::ffff:a.b.c.d is an IPv4 peer seen through a dual-stack socket.
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    const hi = groups[6] ?? 0;
    const lo = groups[7] ?? 0;
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  if (((groups[0] ?? 0) & 0xffc0) === 0xfe80) return groups.map((g) => g.toString(16)).join(':');
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a textual IPv6 address already validated by `isIPv6`. */
function expandIPv6(text: string): number[] | undefined {
  let body = text;
  // A dotted IPv4 suffix stands for the last two groups: rewrite it as two hex groups.
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (isIPv4(last)) {
    const o = last.split('.').map(Number);
    const hi = (((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16);
    const lo = (((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16);
    body = `${body.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = body.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const head = parse(halves[0] ?? '');
  const rest = parse(halves[1] ?? '');
  const fill = halves.length > 1 ? 8 - head.length - rest.length : 0;
  if (fill < 0) return undefined;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}
