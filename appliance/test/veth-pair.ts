/**
 * Two test hosts joined by one veth pair, each in a network namespace the test creates: the
 * smallest LAN that carries multicast between two processes without touching the machine's own
 * interfaces. Used by the discovery and status-page LAN tests.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface VethHost {
  ns: string;
  /** At most 15 characters (the kernel's limit for interface names). */
  iface: string;
  ipv4: string;
  ipv6: string;
}

/**
 * Creates both namespaces and the pair, addresses them (IPv4 /24, IPv6 /64 without duplicate
 * address detection so addresses work at once) and routes IPv4 multicast on the veth. Pushes the
 * namespace deletions onto `cleanups` as it goes, so a failure half-way still cleans up.
 */
export async function createVethPair(a: VethHost, b: VethHost, cleanups: Array<() => unknown>): Promise<void> {
  for (const host of [a, b]) {
    await run('ip', ['netns', 'add', host.ns]);
    cleanups.push(() => run('ip', ['netns', 'delete', host.ns]).catch(() => undefined));
  }
  await run('ip', ['link', 'add', a.iface, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.iface, 'netns', b.ns]);
  for (const host of [a, b]) {
    const ipn = (...args: string[]) => run('ip', ['-n', host.ns, ...args]);
    await ipn('link', 'set', 'lo', 'up');
    await run('ip', ['netns', 'exec', host.ns, 'sysctl', '-qw', `net.ipv6.conf.${host.iface}.accept_dad=0`]);
    await ipn('addr', 'add', `${host.ipv4}/24`, 'dev', host.iface);
    await ipn('-6', 'addr', 'add', `${host.ipv6}/64`, 'dev', host.iface, 'nodad');
    await ipn('link', 'set', host.iface, 'up');
    // dhtnode sends to its IPv4 group without choosing an interface: the route picks the veth.
    // (IPv6 multicast needs nothing: the kernel routes ff00::/8 on every IPv6 interface.)
    await ipn('route', 'add', '224.0.0.0/4', 'dev', host.iface);
  }
}
