/**
 * Benchmark targets as separate processes: our node (bench/our-node.ts bundled with esbuild and
 * run by plain `node`, so no TypeScript loader sits in its memory or CPU) and Debian's dhtnode.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { freePort } from '../test/interop/harness.js';

export interface Server {
  name: 'ours' | 'dhtnode';
  pid: number;
  port: number;
  host: string;
  stop(): Promise<void>;
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

let bundled: string | undefined;

/** Bundles bench/our-node.ts (with the package sources) into bench/results/our-node.mjs once. */
async function ourNodeBundle(): Promise<string> {
  if (bundled) return bundled;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const outfile = `${RESULTS_DIR}our-node.mjs`;
  await build({
    entryPoints: [`${BENCH_DIR}our-node.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['lanbox-source'],
    // Runtime packages the node may load (persistence) stay external; the bench never uses them.
    packages: 'external',
    logLevel: 'error',
  });
  bundled = outfile;
  return outfile;
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

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) if (c.pid !== undefined && c.exitCode === null) {
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
  const args = [file, '--port', String(port)];
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
