/**
 * The box's own addresses on a client's subnet, from an `os.networkInterfaces()`-shaped table.
 * The table is read again as interfaces and addresses come and go; this file only matches.
 */
import * as ip from '@leichtgewicht/ip-codec';

/** The shape of `os.networkInterfaces()` that we read. */
export type InterfaceTable = Record<
  string,
  | ReadonlyArray<{
      readonly address: string;
      readonly family: string | number;
      readonly internal: boolean;
      readonly cidr?: string | null;
      readonly netmask?: string;
    }>
  | undefined
>;

export interface BoxAddresses {
  a: string[];
  aaaa: string[];
  /** Whether the client was on one of the box's subnets (false: the fallback list was used). */
  onLink: boolean;
}

/** Parses an address (IPv4, IPv6, IPv4-mapped IPv6, with or without a %scope) to bytes. */
export function addressBytes(address: string): { bytes: Uint8Array; scope: string | null } | null {
  const pct = address.indexOf('%');
  const bare = pct < 0 ? address : address.slice(0, pct);
  const scope = pct < 0 ? null : address.slice(pct + 1);
  try {
    if (ip.v4.isFormat(bare)) return { bytes: ip.v4.encode(bare), scope };
    if (!ip.v6.isFormat(bare)) return null;
    const b = ip.v6.encode(bare);
    // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
    const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    return { bytes: mapped ? b.slice(12) : b, scope };
  } catch {
    return null;
  }
}

function inPrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

function prefixLength(entry: { cidr?: string | null; netmask?: string }): number | null {
  const slash = entry.cidr?.lastIndexOf('/') ?? -1;
  if (entry.cidr && slash >= 0) {
    const n = Number(entry.cidr.slice(slash + 1));
    return Number.isInteger(n) ? n : null;
  }
  const mask = entry.netmask !== undefined ? addressBytes(entry.netmask) : null;
  if (mask === null) return null;
  let bits = 0;
  for (const byte of mask.bytes) for (let m = 0x80; m > 0; m >>= 1) if (byte & m) bits++;
  return bits;
}

const isV4 = (f: string | number) => f === 'IPv4' || f === 4;
const isV6 = (f: string | number) => f === 'IPv6' || f === 6;
/** fe80::/10: usable only with a zone id, which a DNS answer cannot carry. */
const isLinkLocal6 = (b: Uint8Array) => b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80;

/**
 * The box's addresses to give a client at `client`: those of the interface(s) on whose subnet the
 * client is (IPv4 for A; IPv6 that is not link-local for AAAA), whichever family the query came
 * in on. A loopback client gets the loopback addresses. A client on no subnet of the box (it came
 * through a router) gets every non-loopback address, at most `max` per family.
 */
export function boxAddressesFor(client: string, table: InterfaceTable, max = 8): BoxAddresses {
  const c = addressBytes(client);
  const matched: string[] = [];
  // The client's own family: only the addresses whose subnet holds the client (an interface may
  // carry several subnets); the other family: every usable address of the matched interface(s).
  const containing = new Set<string>();
  if (c !== null) {
    for (const [name, list] of Object.entries(table)) {
      for (const entry of list ?? []) {
        const own = addressBytes(entry.address);
        const bits = prefixLength(entry);
        if (own === null || bits === null || own.bytes.length !== c.bytes.length) continue;
        // A link-local client is on the link its scope names (every link has fe80::/64).
        if (isLinkLocal6(c.bytes) && c.scope !== null && c.scope !== name) continue;
        if (inPrefix(own.bytes, c.bytes, bits)) {
          if (!matched.includes(name)) matched.push(name);
          containing.add(entry.address);
        }
      }
    }
  }
  // A link-local client's subnet is fe80::/64, which is never answered: give it the link's others.
  const restrictFamily = c !== null && !isLinkLocal6(c.bytes);
  const pick = (names: readonly string[] | null): { a: string[]; aaaa: string[] } => {
    const a: string[] = [];
    const aaaa: string[] = [];
    for (const [name, list] of Object.entries(table)) {
      if (names !== null ? !names.includes(name) : false) continue;
      for (const entry of list ?? []) {
        if (names === null && entry.internal) continue;
        const own = addressBytes(entry.address);
        if (own === null) continue;
        if (names !== null && restrictFamily && own.bytes.length === c?.bytes.length && !containing.has(entry.address)) continue;
        if (isV4(entry.family) && own.bytes.length === 4 && a.length < max) a.push(ip.v4.decode(own.bytes));
        else if (isV6(entry.family) && own.bytes.length === 16 && !isLinkLocal6(own.bytes) && aaaa.length < max) {
          aaaa.push(ip.v6.decode(own.bytes));
        }
      }
    }
    return { a, aaaa };
  };
  if (matched.length > 0) return { ...pick(matched), onLink: true };
  return { ...pick(null), onLink: false };
}
