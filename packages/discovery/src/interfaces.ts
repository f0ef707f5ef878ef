/** Which interfaces to join the groups on, from an `os.networkInterfaces()`-shaped table. */
import type { Family, LocalInterface } from './transport/types.js';

/** The shape of `os.networkInterfaces()` that we read (family is a number on Node 18.0–18.3). */
export type InterfaceTable = Record<
  string,
  ReadonlyArray<{ readonly address: string; readonly family: string | number; readonly internal: boolean }> | undefined
>;

export interface InterfaceScan {
  /** Non-loopback interfaces having an address of the family, sorted by name. */
  readonly byFamily: ReadonlyMap<Family, readonly LocalInterface[]>;
  /** Every non-loopback address of this host (without IPv6 scope), to recognise our own datagrams. */
  readonly localAddresses: ReadonlySet<string>;
}

function familyOf(f: string | number): Family | undefined {
  if (f === 'IPv4' || f === 4) return 4;
  if (f === 'IPv6' || f === 6) return 6;
  return undefined;
}

export function scanInterfaces(table: InterfaceTable): InterfaceScan {
  const byFamily = new Map<Family, LocalInterface[]>([
    [4, []],
    [6, []],
  ]);
  const localAddresses = new Set<string>();
  for (const name of Object.keys(table).sort()) {
    const seen = new Set<Family>();
    for (const addr of table[name] ?? []) {
      const family = familyOf(addr.family);
      if (family === undefined || addr.internal) continue;
      localAddresses.add(withoutScope(addr.address));
      if (seen.has(family)) continue;
      seen.add(family);
      byFamily.get(family)?.push({ name, address: addr.address });
    }
  }
  return { byFamily, localAddresses };
}

export function withoutScope(address: string): string {
  const pct = address.indexOf('%');
  return pct < 0 ? address : address.slice(0, pct);
}

/** Identity of an interface for change detection (an IPv4 join is tied to its address). */
export function interfaceKey(iface: LocalInterface): string {
  return `${iface.name}|${iface.address}`;
}
