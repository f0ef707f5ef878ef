/**
 * Whether the box has a default route, read from its own routing table (the text of
 * /proc/net/route and /proc/net/ipv6_route). Nothing is sent to find out: the box stays silent
 * towards the outside. Total: any text in, a boolean out.
 */
export function hasDefaultRoute(ipv4Table: string, ipv6Table: string): boolean {
  // /proc/net/route: a header line, then "Iface Destination Gateway Flags …" in hex; a default
  // route has destination 00000000 and the RTF_UP flag (0x1).
  for (const line of ipv4Table.split('\n').slice(1, 1025)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000') continue;
    const flags = Number.parseInt(f[3] ?? '', 16);
    if (Number.isInteger(flags) && (flags & 0x1) !== 0) return true;
  }
  // /proc/net/ipv6_route: "dest destlen src srclen nexthop metric refcnt use flags iface", no
  // header; a default route is ::/0 that is up (0x1) and not a reject route (0x200, what the
  // kernel installs on "unreachable" entries).
  for (const line of ipv6Table.split('\n').slice(0, 1024)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[0] !== '00000000000000000000000000000000' || f[1] !== '00') continue;
    const flags = Number.parseInt(f[8] ?? '', 16);
    if (f[9] === 'lo') continue;
    if (Number.isInteger(flags) && (flags & 0x1) !== 0 && (flags & 0x200) === 0) return true;
  }
  return false;
}
