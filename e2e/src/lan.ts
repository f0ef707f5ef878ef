/**
 * A private LAN made of network namespaces on one Linux bridge, for running the box and real
 * Jami devices as separate hosts on one machine. Needs root (`ip netns`).
 *
 * - Names: bridge `<tag><id>br`, namespaces `<tag><id>-<host>`, host-side veth ends
 *   `<tag><id><n>h`; `<id>` is random per LAN so parallel runs never collide. Inside each
 *   namespace the LAN interface is called `eth0`.
 * - IPv4 only by default: IPv6 is disabled inside every namespace, because jamid 13.7 (Debian 12)
 *   hangs at start on kernels >= 6.9 when its namespace has IPv6.
 * - No default route and no address on the bridge: nothing in the LAN can reach the machine or the
 *   Internet, so a device that works here works with the box alone. A multicast route on eth0
 *   lets peer discovery send without a default route.
 * - The test process stays in the root namespace; it reaches a host through `run()` (a command in
 *   the namespace) or `httpGet()`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Teardown } from './teardown.js';

const exec = promisify(execFile);

export interface LanHost {
  /** The name given in `hosts` (e.g. "box", "a"). */
  readonly name: string;
  /** Network namespace name. */
  readonly ns: string;
  /** IPv4 address on the LAN (a /24). */
  readonly ip: string;
  /** The LAN interface inside the namespace. */
  readonly iface: 'eth0';
  /** The host's bridge port (the outer veth end, in the root namespace). */
  readonly port: string;
  /** Prefix that runs a program inside this host: ['ip', 'netns', 'exec', ns]. It execs, so pids stay the program's. */
  readonly wrap: readonly string[];
  /** Runs a command inside the namespace and returns its stdout (throws on non-zero exit or timeout). */
  run(command: string, args: string[], timeoutMs?: number): Promise<string>;
  /** GET `url` from inside this host (so 127.0.0.1 is the host's own loopback); returns status and body. */
  httpGet(url: string, timeoutMs?: number): Promise<{ status: number; body: string }>;
}

export interface Lan {
  readonly bridge: string;
  /** First three octets of the /24, e.g. "10.77.0". */
  readonly subnet: string;
  readonly hosts: Readonly<Record<string, LanHost>>;
  /** The host of that name (throws if there is none). */
  host(name: string): LanHost;
  /** Adds one more host (the next free address) to the running LAN. */
  addHost(name: string): Promise<LanHost>;
  /**
   * Wi-Fi client isolation: isolated bridge ports cannot exchange any frame with each other (not
   * even broadcast or multicast), only with ports that are not isolated (put the box on one).
   */
  isolate(name: string, on?: boolean): Promise<void>;
}

export interface LanOptions {
  /** Short prefix of every namespace, bridge and veth name (the branch's tag, e.g. "lbe2"; at most 6 characters). */
  tag: string;
  /** Host names in address order: the first gets `<subnet>.1`, the next `.2`, ... (names at most 8 characters). */
  hosts: string[];
  /** First three octets of the LAN's /24. @default "10.77.0" (private, so the box's coturn relays to it) */
  subnet?: string;
  /** Keep IPv6 enabled inside the namespaces (never for jamid hosts). @default false */
  ipv6?: boolean;
  /** Namespaces, bridge and veths are removed at teardown. */
  teardown: Teardown;
}

async function ip(...args: string[]): Promise<void> {
  await exec('ip', args, { timeout: 10_000 });
}

// Runs in the host's namespace: a plain GET with a bound, printing "status\nbody".
const HTTP_GET_SCRIPT = `
const [url, ms] = process.argv.slice(1);
fetch(url, { signal: AbortSignal.timeout(Number(ms)) })
  .then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())))
  .catch((e) => { process.stderr.write(String(e && e.message || e)); process.exit(1); });
`;

export async function createLan(options: LanOptions): Promise<Lan> {
  if (!/^[a-z0-9]{1,6}$/.test(options.tag)) throw new Error(`tag must be 1-6 lowercase letters or digits (got ${JSON.stringify(options.tag)})`);
  const id = randomBytes(2).toString('hex');
  const prefix = `${options.tag}${id}`;
  const subnet = options.subnet ?? '10.77.0';
  const bridge = `${prefix}br`;
  const hosts: Record<string, LanHost> = {};
  let count = 0;

  await ip('link', 'add', 'name', bridge, 'type', 'bridge');
  options.teardown.add(`delete bridge ${bridge}`, () => ip('link', 'delete', bridge).catch(() => undefined));
  // No IGMP snooping: multicast (peer discovery) is flooded to every port, like a dumb switch.
  await ip('link', 'set', bridge, 'type', 'bridge', 'mcast_snooping', '0');
  await exec('sysctl', ['-qw', `net.ipv6.conf.${bridge}.disable_ipv6=1`]).catch(() => undefined);
  await ip('link', 'set', bridge, 'up');

  const addHost = async (name: string): Promise<LanHost> => {
    if (!/^[a-z0-9]{1,8}$/.test(name)) throw new Error(`host name must be 1-8 lowercase letters or digits (got ${JSON.stringify(name)})`);
    if (hosts[name] !== undefined) throw new Error(`host ${name} exists`);
    count += 1;
    if (count > 250) throw new Error('a /24 LAN holds at most 250 hosts');
    const ns = `${prefix}-${name}`;
    const outer = `${prefix}${count}h`;
    const address = `${subnet}.${count}`;
    const wrap = ['ip', 'netns', 'exec', ns] as const;
    await ip('netns', 'add', ns);
    options.teardown.add(`delete namespace ${ns}`, () => ip('netns', 'delete', ns).catch(() => undefined));
    const inNs = (cmd: string, args: string[], timeoutMs = 10_000): Promise<string> =>
      exec('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout);
    if (options.ipv6 !== true) {
      await inNs('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.lo.disable_ipv6=1']);
    }
    // The outer end is deleted with its peer when the namespace goes; delete it explicitly too
    // in case the namespace deletion failed.
    await ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    options.teardown.add(`delete veth ${outer}`, () => ip('link', 'delete', outer).catch(() => undefined));
    await exec('sysctl', ['-qw', `net.ipv6.conf.${outer}.disable_ipv6=1`]).catch(() => undefined);
    await ip('link', 'set', outer, 'master', bridge);
    await ip('link', 'set', outer, 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    await ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');
    const host: LanHost = {
      name,
      ns,
      ip: address,
      iface: 'eth0',
      port: outer,
      wrap,
      run: inNs,
      async httpGet(url, timeoutMs = 10_000) {
        const out = await inNs(process.execPath, ['-e', HTTP_GET_SCRIPT, url, String(timeoutMs)], timeoutMs + 5000);
        const nl = out.indexOf('\n');
        return { status: Number(out.slice(0, nl)), body: out.slice(nl + 1) };
      },
    };
    hosts[name] = host;
    return host;
  };

  for (const name of options.hosts) await addHost(name);
  return {
    bridge,
    subnet,
    hosts,
    addHost,
    async isolate(name, on = true) {
      const h = hosts[name];
      if (h === undefined) throw new Error(`no host ${name} on this LAN`);
      await ip('link', 'set', 'dev', h.port, 'type', 'bridge_slave', 'isolated', on ? 'on' : 'off');
    },
    host(name) {
      const h = hosts[name];
      if (h === undefined) throw new Error(`no host ${name} on this LAN`);
      return h;
    },
  };
}
