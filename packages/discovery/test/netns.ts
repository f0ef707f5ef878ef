/**
 * Test harness: small LANs made of network namespaces joined by veth pairs — two hosts
 * ({@link createLan}) or a hub linked to several leaves ({@link createStar}).
 *
 * Needs root (`ip netns`). Every name carries a random per-run suffix so parallel runs do not
 * clash; nothing is routed outside the pair. Other packages' tests import this file
 * (e.g. the appliance's end-to-end test against a real `dhtnode`).
 *
 * ```ts
 * const lan = await createLan();
 * after(() => lan.destroy());
 * const child = spawnIn(lan.b.ns, 'dhtnode', ['-s', '-D', '-p', '4222']);
 * after(() => stopProcess(child));
 * ```
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';

/** One end of a link. */
export interface LanHost {
  /** Network namespace name (use with {@link spawnIn} / {@link execIn}). */
  readonly ns: string;
  /** Name of this side's veth interface (inside `ns`). */
  readonly iface: string;
  /** IPv4 address on the veth (198.18.n.0/24 for link n: the RFC 2544 benchmark range). */
  readonly ipv4: string;
  /** Unique-local IPv6 address on the veth (fd00:6c62:n::/64 for link n). */
  readonly ipv6: string;
  /** The veth's IPv6 link-local address, without scope. */
  readonly linkLocal: string;
}

export interface Lan {
  readonly a: LanHost;
  readonly b: LanHost;
  /** Deletes both namespaces (and with them the veth pair). Safe to call twice. */
  destroy(): Promise<void>;
}

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ip` (or another command) in the root namespace; rejects on a non-zero exit. */
async function run(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Runs a command inside a namespace and collects its output (never rejects on exit code). */
export async function execIn(ns: string, cmd: string, args: readonly string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: options.timeoutMs ?? 10_000, cwd: options.cwd }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') reject(err);
      else resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Starts a long-running command inside a namespace. Stop it with {@link stopProcess}. */
export function spawnIn(ns: string, cmd: string, args: readonly string[], options: { cwd?: string } = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Stops a process started by {@link spawnIn}: SIGTERM, then SIGKILL after `graceMs`.
 * `ip netns exec` execs the command, so the pid is the command's own.
 */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Finds a UDP port that is free in `ns` for both IPv4 and IPv6 (binds port 0, then releases). */
export async function freeUdpPort(ns: string): Promise<number> {
  const script =
    "const d=require('node:dgram');const s=d.createSocket('udp4');" +
    "s.bind(0,()=>{const p=s.address().port;s.close();const t=d.createSocket({type:'udp6',ipv6Only:true});" +
    "t.on('error',()=>process.exit(3));t.bind(p,()=>{t.close();console.log(p)})})";
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await execIn(ns, process.execPath, ['-e', script]);
    const port = Number(res.stdout.trim());
    if (res.code === 0 && Number.isInteger(port) && port > 0) return port;
  }
  throw new Error(`no free UDP port found in ${ns}`);
}

/** Collects a child's stdout as JSON lines and lets a test wait for one matching a predicate. */
export class JsonLines {
  readonly lines: unknown[] = [];
  private readonly waiters = new Set<() => void>();
  private partial = '';

  constructor(child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.partial += chunk;
      let nl: number;
      while ((nl = this.partial.indexOf('\n')) >= 0) {
        const line = this.partial.slice(0, nl).trim();
        this.partial = this.partial.slice(nl + 1);
        if (line === '') continue;
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          this.lines.push({ unparsed: line });
        }
      }
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Position to pass as `since` to wait only for lines received from now on. */
  mark(): number {
    return this.lines.length;
  }

  /** Resolves with the first line (from index `since` on, received or future) satisfying `pred`. */
  async waitFor<T>(pred: (line: unknown) => line is T, timeoutMs: number, what: string, since?: number): Promise<T>;
  async waitFor(pred: (line: unknown) => boolean, timeoutMs: number, what: string, since?: number): Promise<unknown>;
  async waitFor(pred: (line: unknown) => boolean, timeoutMs: number, what: string, since = 0): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.lines.slice(since).find(pred);
        if (hit === undefined) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }
}

async function linkLocalOf(ns: string, iface: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await execIn(ns, 'ip', ['-6', '-j', 'addr', 'show', 'dev', iface, 'scope', 'link']);
    const parsed = JSON.parse(res.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string }> }>;
    const local = parsed[0]?.addr_info?.find((a) => a.local)?.local;
    if (local) return local;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no link-local address on ${iface} in ${ns}`);
}

async function inNs(ns: string, ...args: string[]): Promise<void> {
  const res = await execIn(ns, args[0] as string, args.slice(1));
  if (res.code !== 0) throw new Error(`${args.join(' ')} in ${ns}: ${res.stderr}`);
}

/**
 * Joins two existing namespaces with veth pair number `n`: interfaces `<tag><n>x`/`<tag><n>y`,
 * 198.18.n.1/24 and .2, fd00:6c62:n::1/64 and ::2, link-local addresses (DAD disabled so that
 * they are usable at once). `route` adds 224.0.0.0/4 on the veth on that side (a namespace gets
 * it on one link only: a second identical route would be refused).
 */
async function addLink(tag: string, n: number, x: { ns: string; route: boolean }, y: { ns: string; route: boolean }): Promise<[LanHost, LanHost]> {
  const ends = [x, y].map((side, i) => ({
    ns: side.ns,
    route: side.route,
    iface: `${tag}${n}${i === 0 ? 'x' : 'y'}`,
    ipv4: `198.18.${n}.${i + 1}`,
    ipv6: n === 0 ? `fd00:6c62::${i + 1}` : `fd00:6c62:${n.toString(16)}::${i + 1}`,
  }));
  const [ex, ey] = ends as [(typeof ends)[0], (typeof ends)[0]];
  await run('ip', ['link', 'add', ex.iface, 'netns', ex.ns, 'type', 'veth', 'peer', 'name', ey.iface, 'netns', ey.ns]);
  for (const e of ends) {
    await inNs(e.ns, 'sysctl', '-qw', `net.ipv6.conf.${e.iface}.accept_dad=0`);
    await inNs(e.ns, 'ip', 'addr', 'add', `${e.ipv4}/24`, 'dev', e.iface);
    await inNs(e.ns, 'ip', '-6', 'addr', 'add', `${e.ipv6}/64`, 'dev', e.iface, 'nodad');
    await inNs(e.ns, 'ip', 'link', 'set', e.iface, 'up');
    if (e.route) await inNs(e.ns, 'ip', 'route', 'add', '224.0.0.0/4', 'dev', e.iface);
  }
  // The kernel adds the link-local address once the carrier is up, i.e. both ends are up.
  const out: LanHost[] = [];
  for (const e of ends) {
    out.push({ ns: e.ns, iface: e.iface, ipv4: e.ipv4, ipv6: e.ipv6, linkLocal: await linkLocalOf(e.ns, e.iface) });
  }
  return out as [LanHost, LanHost];
}

async function createNamespaces(names: readonly string[]): Promise<() => Promise<void>> {
  let destroyed = false;
  const created: string[] = [];
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of created) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  };
  try {
    for (const ns of names) {
      await run('ip', ['netns', 'add', ns]);
      created.push(ns);
      await inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return destroy;
}

const newTag = (): string => `lbx${randomBytes(3).toString('hex')}`;

/**
 * Creates two namespaces `lbxXXXXXXa`/`lbxXXXXXXb` joined by one veth pair (link 0: IPv4
 * 198.18.0.1/.2, IPv6 fd00:6c62:0::1/::2 and link-local), with the IPv4 multicast route
 * 224.0.0.0/4 on the veth and loopback up on both sides.
 */
export async function createLan(): Promise<Lan> {
  const tag = newTag();
  const destroy = await createNamespaces([`${tag}a`, `${tag}b`]);
  try {
    const [a, b] = await addLink(tag, 0, { ns: `${tag}a`, route: true }, { ns: `${tag}b`, route: true });
    return { a, b, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** A hub namespace linked to several leaf namespaces, one veth pair (and subnet) per leaf. */
export interface Star {
  /** The hub's end of each link (all in the same namespace), in leaf order. */
  readonly hub: readonly LanHost[];
  readonly leaves: readonly LanHost[];
  destroy(): Promise<void>;
}

/**
 * Creates a hub namespace (`lbxXXXXXXh`) with `count` links to leaf namespaces
 * (`lbxXXXXXXl0`, …). Link n uses 198.18.n.0/24 (hub .1, leaf .2) and fd00:6c62:n::/64. Leaves
 * have the 224.0.0.0/4 route on their only link; the hub has it on link 0 only, so a program on
 * the hub reaches the other links only by choosing the interface itself.
 */
export async function createStar(count: number): Promise<Star> {
  const tag = newTag();
  const hubNs = `${tag}h`;
  const leafNs = Array.from({ length: count }, (_, i) => `${tag}l${i}`);
  const destroy = await createNamespaces([hubNs, ...leafNs]);
  try {
    const hub: LanHost[] = [];
    const leaves: LanHost[] = [];
    for (const [i, ns] of leafNs.entries()) {
      const [h, l] = await addLink(tag, i, { ns: hubNs, route: i === 0 }, { ns, route: true });
      hub.push(h);
      leaves.push(l);
    }
    return { hub, leaves, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
