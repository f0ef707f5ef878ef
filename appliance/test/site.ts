/**
 * Test harness: a site of several lanbox boxes, each in its own network namespace, all on one
 * bridge that lives in a namespace of its own (so multicast and everything else stays inside),
 * plus a client namespace from which the test talks to the boxes over links of their own (so that
 * the client still reaches a box cut off from the others). A box's bridge link can be set down and
 * up again (a partition). Needs root. Every name starts with `lbmb`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SiteHost {
  readonly ns: string;
  /** Address on the bridge (what the boxes use between them). */
  readonly ipv4: string;
  /** Address of the box on its own link to the client namespace (10.99.n.2). */
  readonly mgmt: string;
  /** The client's address on that link (10.99.n.1): where the client's requests come from. */
  readonly clientAddress: string;
  /** The veth end on the bridge (in the switch namespace): set it down to cut this host off. */
  readonly port: string;
}

export interface Answer {
  readonly status: number;
  readonly body: any;
}

export interface Site {
  readonly boxes: readonly SiteHost[];
  readonly client: SiteHost;
  /** HTTP from the client namespace. */
  http(method: 'GET' | 'POST' | 'DELETE', url: string, body?: string, headers?: Record<string, string>): Promise<Answer>;
  linkDown(host: SiteHost): Promise<void>;
  linkUp(host: SiteHost): Promise<void>;
  destroy(): Promise<void>;
}

export async function createSite(boxes: number, subnet = '198.19.15'): Promise<Site> {
  const tag = `lbmb${randomBytes(3).toString('hex')}`;
  const sw = `${tag}s`;
  const bridge = `${tag}br`;
  const created: string[] = [];
  let helper: ChildProcess | null = null;
  const destroy = async (): Promise<void> => {
    if (helper !== null && helper.exitCode === null) helper.kill('SIGKILL');
    for (const ns of created.reverse()) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    created.length = 0;
  };
  try {
    await run('ip', ['netns', 'add', sw]);
    created.push(sw);
    await run('ip', ['-n', sw, 'link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['-n', sw, 'link', 'set', bridge, 'up']);
    const hosts: SiteHost[] = [];
    for (let i = 0; i <= boxes; i++) {
      // Hosts 1..n are boxes; host 0 is the client.
      const suffix = i === 0 ? 'c' : String(i);
      const ns = `${tag}${suffix}`;
      const inside = `${tag}${suffix}a`;
      const port = `${tag}${suffix}b`;
      const ipv4 = `${subnet}.${i === 0 ? 100 : i}`;
      await run('ip', ['netns', 'add', ns]);
      created.push(ns);
      await run('ip', ['link', 'add', inside, 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
      await run('ip', ['-n', sw, 'link', 'set', port, 'master', bridge]);
      await run('ip', ['-n', sw, 'link', 'set', port, 'up']);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${inside}.accept_dad=0`]);
      await run('ip', ['-n', ns, 'addr', 'add', `${ipv4}/24`, 'dev', inside]);
      await run('ip', ['-n', ns, 'link', 'set', inside, 'up']);
      // Programs that send to the IPv4 group without choosing an interface use this route.
      await run('ip', ['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', inside]);
      hosts.push({ ns, ipv4, port, mgmt: ipv4, clientAddress: ipv4 });
    }
    const clientNs = (hosts[0] as SiteHost).ns;
    for (let i = 1; i <= boxes; i++) {
      const host = hosts[i] as SiteHost;
      const a = `${tag}m${i}a`;
      const b = `${tag}m${i}b`;
      await run('ip', ['link', 'add', a, 'netns', clientNs, 'type', 'veth', 'peer', 'name', b, 'netns', host.ns]);
      await run('ip', ['-n', clientNs, 'addr', 'add', `10.99.${i}.1/24`, 'dev', a]);
      await run('ip', ['-n', host.ns, 'addr', 'add', `10.99.${i}.2/24`, 'dev', b]);
      await run('ip', ['-n', clientNs, 'link', 'set', a, 'up']);
      await run('ip', ['-n', host.ns, 'link', 'set', b, 'up']);
      hosts[i] = { ...host, mgmt: `10.99.${i}.2`, clientAddress: `10.99.${i}.1` };
    }
    const client = hosts[0] as SiteHost;
    const h = spawn('ip', ['netns', 'exec', client.ns, process.execPath, join(import.meta.dirname, 'fixtures', 'ns-fetch.mjs')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    helper = h;
    const waiting = new Map<number, (a: { status?: number; body?: string; error?: string }) => void>();
    let buf = '';
    h.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as { id: number; status?: number; body?: string; error?: string };
        buf = buf.slice(nl + 1);
        waiting.get(msg.id)?.(msg);
        waiting.delete(msg.id);
      }
    });
    let next = 0;
    const http = (method: string, url: string, body?: string, headers?: Record<string, string>): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${method} ${url}: no answer from the client helper`));
        }, 20_000);
        waiting.set(id, (a) => {
          clearTimeout(timer);
          if (a.error !== undefined) return reject(new Error(`${method} ${url}: ${a.error}`));
          let parsed: unknown = a.body;
          try {
            parsed = JSON.parse(a.body ?? '');
          } catch {
            // Not JSON: keep the text.
          }
          resolve({ status: a.status ?? 0, body: parsed });
        });
        h.stdin.write(`${JSON.stringify({ id, method, url, body, headers })}\n`);
      });
    return {
      boxes: hosts.slice(1),
      client,
      http,
      linkDown: async (host) => void (await run('ip', ['-n', sw, 'link', 'set', host.port, 'down'])),
      linkUp: async (host) => void (await run('ip', ['-n', sw, 'link', 'set', host.port, 'up'])),
      destroy,
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}
