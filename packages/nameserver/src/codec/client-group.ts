import { isIPv4, isIPv6 } from 'node:net';

/**
 * Who counts as one client for rate limits and connection caps: an IPv4 address (IPv4-mapped
 * IPv6 read as IPv4), a link-local IPv6 address by itself (every host of the LAN shares
 * fe80::/64, so grouping it would make them all share one budget), and any other IPv6 address
 * by its /64 (one host can use any number of addresses inside its /64). Same rule as the DHT's.
 * Anything that is not an address is returned unchanged.
 */
export function clientGroup(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address;
  const groups = expandIPv6(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  const hex = groups.map((g) => g.toString(16));
  if ((groups[0]! & 0xffc0) === 0xfe80) return hex.join(':');
  return `${hex.slice(0, 4).join(':')}::/64`;
}

/** Eight 16-bit groups of a valid IPv6 address (checked by the caller), with `::` and a dotted IPv4 tail expanded. */
function expandIPv6(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(fill).fill('0'), ...right].map((g) => parseInt(g, 16));
}
