/**
 * Benchmark targets as separate processes: our node (bench/our-node.ts bundled with esbuild and
 * run by plain `node`, so no TypeScript loader sits in its memory or CPU), the whole appliance
 * (appliance/dist/lanbox.mjs, when built) and Debian's dhtnode.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { freePort } from '../test/interop/harness.js';
import { type RssSplit, rssSplit } from './proc.js';

export interface Server {
  name: 'ours' | 'appliance' | 'dhtnode';
  pid: number;
  port: number;
  host: string;
  stop(): Promise<void>;
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

let bundled: string | undefined;

/**
 * Bundles a bench script with the package sources into bench/results/<name>.mjs. Workspace
 * packages (@lanbox/clock) are bundled from source like the node itself, so the bench runs on a
 * fresh checkout without `npm run build` first; the storage runtimes the node may load
 * (persistence) stay external, the bench never uses them.
 */
export async function bundleBenchScript(entry: string, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const outfile = `${RESULTS_DIR}${name}.mjs`;
  await build({
    entryPoints: [`${BENCH_DIR}${entry}`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['lanbox-source'],
    external: ['level', 'memory-level', 'classic-level'],
    logLevel: 'error',
  });
  return outfile;
}

/** bench/our-node.ts bundled once per bench run. */
async function ourNodeBundle(): Promise<string> {
  bundled ??= await bundleBenchScript('our-node.ts', 'our-node');
  return bundled;
}

async function stopChild(child: ChildProcess, timeoutMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, 'SIGTERM');
  const t = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, timeoutMs);
  await exited;
  clearTimeout(t);
}

/**
 * V8 flags for our bare node (bench/our-node.ts): the settings the appliance applies to itself at
 * start (appliance/src/heap-settings.ts). A young generation that never grows past its initial
 * 1 MiB semi-space keeps V8 from spending tens of MiB that a Pi would rather spend on stored
 * values; --optimize-for-size collects promoted garbage sooner. The appliance gets no flags: it
 * is started exactly as the docs start it.
 */
export const NODE_FLAGS = ['--semi-space-growth-factor=1', '--optimize-for-size', '--max-inlined-bytecode-size-cumulative=460'];

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live)
    if (c.pid !== undefined && c.exitCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
});

/** Starts our node; `rateLimit: false` disables its limits (like `dhtnode -U`). */
export async function startOurs(rateLimit: boolean): Promise<Server> {
  const file = await ourNodeBundle();
  const port = await freePort();
  const args = [...NODE_FLAGS, file, '--port', String(port)];
  if (!rateLimit) args.push('--no-rate-limit');
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  child.stdout!.setEncoding('utf8');
  const ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: string) => {
      buf += d;
      if (buf.includes('"ready":true')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`our node exited (${code}) before ready`)));
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await ready;
  clearTimeout(timeout);
  return { name: 'ours', pid: child.pid!, port, host: '127.0.0.1', stop: () => stopChild(child) };
}

/** The appliance bundle, if `npm run build` made it. */
export const APPLIANCE_BUNDLE = fileURLToPath(new URL('../../../appliance/dist/lanbox.mjs', import.meta.url));

export function applianceBuilt(): boolean {
  return existsSync(APPLIANCE_BUNDLE);
}

/**
 * Starts the appliance (DHT on 127.0.0.1 only, discovery, name server and proxy off, its TURN
 * monitor probing the default loopback address) with a throw-away data directory.
 */
export async function startAppliance(rateLimit: boolean, nodeFlags: string[] = [], bundle = APPLIANCE_BUNDLE, root?: string): Promise<Server> {
  const port = await freePort();
  const dataDir = benchDataDir(root);
  const args = ['--dht-port', String(port), '--web-port', '0', '--bind', '127.0.0.1'];
  // The push service's default port (8082) may be taken on a shared machine.
  args.push('--push-port', '0', '--no-discovery', '--no-nameserver', '--no-proxy', '--log-level', 'info');
  if (!rateLimit) args.push('--no-rate-limit');
  const [command, ...commandArgs] = nodeCommand(bundle, dataDir, nodeFlags, root);
  const child = spawn(command!, [...commandArgs, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  live.add(child);
  child.on('exit', () => {
    live.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  });
  child.stdout!.setEncoding('utf8');
  // Keep reading the log (a full pipe would block the appliance); readiness is its "ready" line.
  const ready = new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (d: string) => {
      if (seen.length < 100_000) seen += d;
      if (seen.includes('"msg":"ready:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`appliance exited (${code}) before ready`)));
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await ready;
  clearTimeout(timeout);
  return { name: 'appliance', pid: child.pid!, port, host: '127.0.0.1', stop: () => stopChild(child, 5000) };
}

/** Starts `dhtnode -s` (service mode, no CLI); `-U` when `rateLimit` is false. */
export async function startDhtnode(rateLimit: boolean): Promise<Server> {
  const port = await freePort();
  const args = ['-s', '-p', String(port)];
  if (!rateLimit) args.push('-U');
  const child = spawn('/usr/bin/dhtnode', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  // Readiness is checked by the load client's first gets (retried).
  return { name: 'dhtnode', pid: child.pid!, port, host: '127.0.0.1', stop: () => stopChild(child) };
}

const run = (cmd: string, args: string[]): Promise<number> =>
  new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('exit', (code) => resolve(code ?? 1));
    p.on('error', () => resolve(1));
  });

/** One reading of the appliance's memory, `atMs` after its "ready" line. */
export interface IdleSample extends RssSplit {
  atMs: number;
}

export interface IdleOptions {
  /** The bundle to start. @default appliance/dist/lanbox.mjs */
  bundle?: string;
  /** Read memory every second for this long after "ready". @default 30 */
  seconds?: number;
  /** Extra appliance arguments (after the data directory), for A/B runs of one setting. */
  args?: string[];
  /** Extra environment variables (e.g. glibc's MALLOC_* tunables, read only at process start). */
  env?: Record<string, string>;
  /**
   * Run under another system's `node`: an extracted root file system (the box image's, from
   * `images/.cache/rootfs-<arch>-*.tar`), entered with chroot in a private mount namespace that
   * sees the host's /proc and /dev. The bundle's directory and the data directory are copied into
   * its /tmp for the run. @default the node running the bench
   */
  root?: string;
}

/**
 * Idle memory of the whole appliance with every service on (DHT, discovery, name server, proxy if
 * built, TURN monitor, status page), started exactly as the docs start it, with its default
 * ports: VmRSS with its anon/file split, read every second for `seconds` after "ready" (V8's
 * memory reducer shrinks the heap ~8 s after start, so an early reading and a steady one differ).
 * Discovery needs multicast port 8888 and the defaults are fixed ports, so it runs in a network
 * namespace of its own (`lbbench<pid>`, loopback only, deleted afterwards); needs root.
 * Undefined when the namespace cannot be made or the appliance never gets ready.
 */
export async function idleAllServices(opts: IdleOptions = {}): Promise<IdleSample[] | undefined> {
  const seconds = opts.seconds ?? 30;
  const ns = `lbbench${process.pid % 100_000}`;
  if ((await run('ip', ['netns', 'add', ns])) !== 0) return undefined;
  const root = opts.root;
  const dataDir = benchDataDir(root);
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // `ip netns exec` execs the command, so the child's pid is the appliance's own.
    const args = ['netns', 'exec', ns, ...nodeCommand(opts.bundle ?? APPLIANCE_BUNDLE, dataDir, [], root), '--log-level', 'info', ...(opts.args ?? [])];
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...opts.env } });
    live.add(child);
    child.on('exit', () => live.delete(child));
    child.stdout!.setEncoding('utf8');
    const ready = await new Promise<boolean>((resolve) => {
      let seen = '';
      const timer = setTimeout(() => resolve(false), 20_000);
      child.stdout!.on('data', (d: string) => {
        if (seen.length < 100_000) seen += d;
        if (seen.includes('"msg":"ready:')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    const samples: IdleSample[] = [];
    if (ready) {
      const readyAt = performance.now();
      // Each reading on its own whole second after ready (no drift from the reads themselves).
      for (let i = 1; i <= seconds && child.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, Math.max(0, readyAt + i * 1000 - performance.now())));
        samples.push({ atMs: Math.round(performance.now() - readyAt), ...rssSplit(child.pid!) });
      }
    }
    await stopChild(child, 5000);
    return ready && samples.length > 0 ? samples : undefined;
  } finally {
    await run('ip', ['netns', 'delete', ns]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A throw-away data directory, inside `root` when the appliance runs under it. */
function benchDataDir(root: string | undefined): string {
  return mkdtempSync(join(root === undefined ? tmpdir() : join(root, 'tmp'), 'lanbox-bench-'));
}

/**
 * The command line (before the appliance's own arguments) that starts `bundle` on `dataDir`: under
 * this bench's node, or under `root`'s own /usr/bin/node. There, the bundle's directory (with its
 * node_modules) is copied into the data directory and /proc and /dev are bound in, in a private
 * mount namespace (the mounts end with the process); unshare, sh and chroot each exec the next, so
 * the child's pid is still the appliance's own, whose CPU and memory the bench reads.
 */
function nodeCommand(bundle: string, dataDir: string, nodeFlags: string[], root: string | undefined): string[] {
  if (root === undefined) return [process.execPath, ...nodeFlags, bundle, '--data-dir', dataDir];
  const inside = `/tmp/${basename(dataDir)}`;
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    `cp -r ${q(dirname(bundle))} ${q(`${dataDir}/app`)}`,
    `mount --bind /proc ${q(`${root}/proc`)}`,
    `mount --bind /dev ${q(`${root}/dev`)}`,
    `exec chroot ${q(root)} /usr/bin/node ${nodeFlags.map(q).join(' ')} ${q(`${inside}/app/${basename(bundle)}`)} --data-dir ${q(`${inside}/data`)} "$@"`,
  ].join(' && ');
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh'];
}

/** The reading `ms` after ready (the first at or after it). */
export function idleAt(samples: IdleSample[], ms: number): IdleSample | undefined {
  return samples.find((s) => s.atMs >= ms - 100);
}

/**
 * The steady reading: the median (by VmRSS) of the readings from 20 s after ready on, past V8's
 * memory reducer, which runs ~8 s after start and again while the heap keeps shrinking. One whole
 * reading, so its anon and file parts add up to its VmRSS.
 */
export function idleSteady(samples: IdleSample[]): IdleSample | undefined {
  const late = samples.filter((s) => s.atMs >= 19_900).sort((a, b) => a.rss - b.rss);
  return late[Math.floor(late.length / 2)];
}
