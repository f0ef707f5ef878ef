/**
 * Name server throughput over real HTTP on loopback:
 *   npm run bench   (env: BENCH_KEY_BITS=2048, BENCH_REGISTRATIONS=200, BENCH_LOOKUPS=20000, BENCH_SECONDS=10)
 * The server runs in a child process on a ClassicLevel database in a temp dir (sync writes, as on
 * the box); this process is the client. Every phase is bounded in count and time.
 */
import { constants, createHash, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Level } from 'level';
import { createNameServer } from '../src/index.js';

const KEY_BITS = Number(process.env['BENCH_KEY_BITS'] ?? 2048);
const REGISTRATIONS = Number(process.env['BENCH_REGISTRATIONS'] ?? 200);
const LOOKUPS = Number(process.env['BENCH_LOOKUPS'] ?? 20_000);
const PHASE_MS = Number(process.env['BENCH_SECONDS'] ?? 10) * 1000;

async function serve(dataDir: string): Promise<void> {
  const db = new Level<string, string>(join(dataDir, 'db'));
  await db.open();
  const ns = await createNameServer({ registrationsPerWindow: 1_000_000, minKeyBits: 1024 }, { db });
  const http = createServer((req, res) => void ns.handle(req, res));
  http.listen(0, '127.0.0.1', () => process.send?.({ port: (http.address() as AddressInfo).port }));
  process.on('message', () => {
    http.closeAllConnections();
    http.close();
    void ns
      .close()
      .then(() => db.close())
      .then(() => process.disconnect());
  });
}

interface Account {
  key: KeyObject;
  addr: string;
  publickey: string;
}

async function makeAccount(): Promise<Account> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: KEY_BITS });
  const pem = Buffer.concat([Buffer.from(String(publicKey.export({ type: 'spki', format: 'pem' }))), Buffer.of(0)]);
  const addr = createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return { key: privateKey, addr, publickey: pem.toString('base64') };
}

function body(a: Account, name: string): string {
  const signature = sign('sha512', Buffer.from(name), { key: a.key, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
  return `{"addr":"${a.addr}","owner":"${'0'.repeat(40)}","signature":"${signature}","publickey":"${a.publickey}"}`;
}

function call(agent: Agent, port: number, method: string, path: string, payload?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `op(i)` for i < count with `concurrency` in flight, stopping at the deadline; returns ops/s. */
async function measure(count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<{ done: number; perSecond: number }> {
  const start = performance.now();
  const deadline = start + PHASE_MS;
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        await op(next++);
        done += 1;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { done, perSecond: Math.round(done / seconds) };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lanbox-ns-bench-'));
  const server = fork(fileURLToPath(import.meta.url), ['--serve', dataDir], { execArgv: process.execArgv });
  try {
    const port = await new Promise<number>((resolve) => server.once('message', (m: { port: number }) => resolve(m.port)));
    const t0 = performance.now();
    const accounts = await Promise.all(Array.from({ length: REGISTRATIONS }, makeAccount));
    const bodies = accounts.map((a, i) => body(a, `bench-${i}`));
    console.log(`generated ${REGISTRATIONS} ${KEY_BITS}-bit keys in ${Math.round(performance.now() - t0)} ms`);
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });

    const check = (status: number, what: string): void => {
      if (status !== 200) throw new Error(`${what}: HTTP ${status}`);
    };
    const half = Math.floor(REGISTRATIONS / 2);
    const seq = await measure(half, 1, async (i) => check(await call(agent, port, 'POST', `/name/bench-${i}`, bodies[i]), 'register'));
    const par = await measure(REGISTRATIONS - half, 8, async (i) => {
      const j = half + i;
      check(await call(agent, port, 'POST', `/name/bench-${j}`, bodies[j]), 'register');
    });
    const registered = seq.done + par.done;
    const lookups = await measure(LOOKUPS, 16, async (i) => {
      const j = i % registered;
      const path =
        i % 2 === 0 ? `/name/bench-${j < seq.done ? j : half + (j - seq.done)}` : `/addr/${accounts[j < seq.done ? j : half + (j - seq.done)]!.addr}`;
      check(await call(agent, port, 'GET', path), 'lookup');
    });
    const misses = await measure(Math.min(LOOKUPS, 5000), 16, async (i) => {
      if ((await call(agent, port, 'GET', `/name/missing-${i}`)) !== 404) throw new Error('expected 404');
    });
    console.log(`registrations, 1 client (sync writes): ${seq.done} at ${seq.perSecond}/s`);
    console.log(`registrations, 8 clients (sync writes): ${par.done} at ${par.perSecond}/s`);
    console.log(`lookups (name+addr, hits), 16 clients keep-alive: ${lookups.done} at ${lookups.perSecond}/s`);
    console.log(`lookups (misses, 404), 16 clients keep-alive: ${misses.done} at ${misses.perSecond}/s`);
    agent.destroy();
  } finally {
    server.send('stop');
    await new Promise((resolve) => server.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt === -1) await main();
else await serve(process.argv[serveAt + 1] ?? '');
