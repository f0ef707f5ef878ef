/**
 * Test harness: a two-host LAN made of two network namespaces joined by a veth pair.
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

/** One side of the LAN. */
export interface LanHost {
  /** Network namespace name (use with {@link spawnIn} / {@link execIn}). */
  readonly ns: string;
  /** Name of this side's veth interface (inside `ns`). */
  readonly iface: string;
  /** IPv4 address on the veth (198.18.0.0/24, the RFC 2544 benchmark range). */
  readonly ipv4: string;
  /** Unique-local IPv6 address on the veth (fd00:6c62::/64). */
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
export async function execIn(
  ns: string,
  cmd: string,
  args: readonly string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, cmd, ...args],
      { timeout: options.timeoutMs ?? 10_000, cwd: options.cwd },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') reject(err);
        else resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr });
      },
    );
  });
}

/** Starts a long-running command inside a namespace. Stop it with {@link stopProcess}. */
export function spawnIn(
  ns: string,
  cmd: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): ChildProcess {
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

/**
 * Creates two namespaces `lbxXXXXXXa`/`lbxXXXXXXb` joined by a veth pair, with IPv4
 * 198.18.0.1/.2, IPv6 fd00:6c62::1/::2 and link-local addresses (DAD disabled so they are usable
 * at once), the IPv4 multicast route 224.0.0.0/4 on the veth and loopback up.
 */
export async function createLan(): Promise<Lan> {
  const tag = `lbx${randomBytes(3).toString('hex')}`;
  const hosts = (['a', 'b'] as const).map((side, i) => ({
    ns: `${tag}${side}`,
    iface: `${tag}${side}`,
    ipv4: `198.18.0.${i + 1}`,
    ipv6: `fd00:6c62::${i + 1}`,
  }));
  const [a, b] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    for (const h of hosts) await run('ip', ['netns', 'delete', h.ns]).catch(() => undefined);
  };
  try {
    for (const h of hosts) await run('ip', ['netns', 'add', h.ns]);
    await run('ip', ['link', 'add', a.iface, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.iface, 'netns', b.ns]);
    const out: LanHost[] = [];
    for (const h of hosts) {
      const inNs = async (...args: string[]): Promise<void> => {
        const res = await execIn(h.ns, args[0] as string, args.slice(1));
        if (res.code !== 0) throw new Error(`${args.join(' ')} in ${h.ns}: ${res.stderr}`);
      };
      await inNs('sysctl', '-qw', `net.ipv6.conf.${h.iface}.accept_dad=0`);
      await inNs('ip', 'link', 'set', 'lo', 'up');
      await inNs('ip', 'addr', 'add', `${h.ipv4}/24`, 'dev', h.iface);
      await inNs('ip', '-6', 'addr', 'add', `${h.ipv6}/64`, 'dev', h.iface, 'nodad');
      await inNs('ip', 'link', 'set', h.iface, 'up');
      await inNs('ip', 'route', 'add', '224.0.0.0/4', 'dev', h.iface);
    }
    // The kernel adds the link-local address once the carrier is up, i.e. both ends are up.
    for (const h of hosts) out.push({ ...h, linkLocal: await linkLocalOf(h.ns, h.iface) });
    return { a: out[0] as LanHost, b: out[1] as LanHost, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
