/** The box's addresses that Jami clients on the LAN can type, from os.networkInterfaces(). */
import { networkInterfaces } from 'node:os';

export interface LanAddress {
  address: string;
  family: 4 | 6;
  interface: string;
}

type Interfaces = ReturnType<typeof networkInterfaces>;

/**
 * Non-loopback IPv4 addresses first, then IPv6 addresses that are not link-local (a link-local
 * address would need a zone id, which Jami's bootstrap field cannot carry). When `bind` names one
 * concrete address, that is the only one clients can reach.
 */
export function lanAddresses(bind: string | null, interfaces: Interfaces = networkInterfaces()): LanAddress[] {
  if (bind !== null && bind !== '0.0.0.0' && bind !== '::') {
    return [{ address: bind, family: bind.includes(':') ? 6 : 4, interface: 'bind' }];
  }
  const out: LanAddress[] = [];
  for (const [name, list] of Object.entries(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') out.push({ address: a.address, family: 4, interface: name });
      else if (!/^fe[89ab]/i.test(a.address) && bind !== '0.0.0.0') out.push({ address: a.address, family: 6, interface: name });
    }
  }
  const v4only = bind === '0.0.0.0';
  return out.filter((a) => !v4only || a.family === 4).sort((a, b) => a.family - b.family);
}
