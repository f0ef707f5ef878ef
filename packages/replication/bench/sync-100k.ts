/**
 * How long a box with an empty registry takes to copy a registry of N names from another box
 * (every record verified on receipt), over HTTP on loopback, each box in its own process on its
 * own LevelDB (sync writes, as on the box):
 *
 *   npm run bench -w @lanbox/replication   (env: BENCH_NAMES=100000, BENCH_KEY_BITS=2048, BENCH_FIXTURE=path)
 *
 * The records come from bench/fixture.ts (built once, then reused from the temp dir). Also
 * measures an exchange when nothing changed, and one new name pushed from one box to the other.
 */
import { fork } from 'node:child_process';
import { existsSync, createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Level } from 'level';
import { createLevelRegistry, createNameServer, type NameRecord } from '@lanbox/nameserver';
import { createHttpClient, createLevelState, createReplication } from '../src/index.js';
import { writeFixture } from './fixture.js';

const NAMES = Number(process.env['BENCH_NAMES'] ?? 100_000);
const BITS = Number(process.env['BENCH_KEY_BITS'] ?? 2048);
const FIXTURE = process.env['BENCH_FIXTURE'] ?? join(tmpdir(), `lanbox-bench-names-${NAMES}-${BITS}.ndjson`);
const BOX_A = 'a'.repeat(40);
const BOX_B = 'b'.repeat(40);

type Msg =
  | { kind: 'ready'; port: number; indexMs: number }
  | { kind: 'synced'; ms: number; cpuMs: number; names: number; received: number }
  | { kind: 'cpu'; cpuMs: number }
  | { kind: 'count'; names: number }
  | { kind: 'done' };

/** One box in this process: name server + replication on a LevelDB, served on loopback. */
async function serve(dir: string, boxId: string, peerPort: number | undefined): Promise<void> {
  const db = new Level<string, string>(join(dir, 'db'));
  await db.open();
  const nameserver = await createNameServer({ maxNames: NAMES }, { db });
  let port = 0;
  const replication = createReplication(
    { boxId, peers: peerPort === undefined ? [] : [{ host: '127.0.0.1', port: peerPort }], syncIntervalMs: 3_600_000 },
    { registry: nameserver, state: createLevelState(db), self: { webPort: () => port, dhtPort: () => null }, client: createHttpClient() },
  );
  const t0 = performance.now();
  await replication.start();
  const indexMs = performance.now() - t0;
  const http = createServer((req, res) => {
    void (async () => {
      if (await replication.handle(req, res)) return;
      if (await nameserver.handle(req, res)) return;
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  const send = (m: Msg) => process.send?.(m);
  send({ kind: 'ready', port, indexMs });
  process.on('message', (m: { kind: string }) => {
    void (async () => {
      if (m.kind === 'sync') {
        const start = performance.now();
        const cpu = process.cpuUsage();
        await replication.syncAll();
        const used = process.cpuUsage(cpu);
        const st = replication.status();
        send({
          kind: 'synced',
          ms: performance.now() - start,
          cpuMs: (used.user + used.system) / 1000,
          names: nameserver.status().names,
          received: st.peers[0]?.received ?? 0,
        });
      } else if (m.kind === 'cpu') {
        const used = process.cpuUsage();
        send({ kind: 'cpu', cpuMs: (used.user + used.system) / 1000 });
      } else if (m.kind === 'count') {
        send({ kind: 'count', names: nameserver.status().names });
      } else if (m.kind === 'stop') {
        http.closeAllConnections();
        http.close();
        await replication.stop();
        await nameserver.close();
        await db.close();
        send({ kind: 'done' });
        process.disconnect();
      }
    })();
  });
}

function child(dir: string, boxId: string, peerPort?: number) {
  const proc = fork(fileURLToPath(import.meta.url), ['serve', dir, boxId, String(peerPort ?? '')], {
    stdio: 'inherit',
    execArgv: [...process.execArgv, ...(process.env['BENCH_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_PROF']] : [])],
  });
  const next = (kind: Msg['kind'], timeoutMs = 600_000) =>
    new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${kind} within ${timeoutMs} ms`)), timeoutMs);
      const on = (m: Msg) => {
        if (m.kind !== kind) return;
        clearTimeout(timer);
        proc.off('message', on);
        resolve(m);
      };
      proc.on('message', on);
    });
  return { proc, next, send: (kind: string) => proc.send({ kind }) };
}

async function seed(dir: string): Promise<void> {
  const db = new Level<string, string>(join(dir, 'db'));
  await db.open();
  const registry = createLevelRegistry(db);
  await registry.open();
  let batch: NameRecord[] = [];
  const lines = createInterface({ input: createReadStream(FIXTURE) });
  let n = 0;
  for await (const line of lines) {
    if (n >= NAMES) break;
    const r = JSON.parse(line) as Omit<NameRecord, 'registeredAt'>;
    batch.push({ ...r, registeredAt: 1_700_000_000_000 + n, origin: BOX_A, confirmed: true });
    n += 1;
    if (batch.length === 5000) {
      await registry.insert(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await registry.insert(batch);
  await db.close();
  if (n < NAMES) throw new Error(`fixture has ${n} records, ${NAMES} wanted`);
}

async function main(): Promise<void> {
  if (!existsSync(FIXTURE)) {
    console.log(`building ${NAMES} registrations with ${BITS}-bit keys into ${FIXTURE} (once)…`);
    await writeFixture(FIXTURE, NAMES, BITS);
  }
  const dirA = await mkdtemp(join(tmpdir(), 'lanbox-bench-a-'));
  const dirB = await mkdtemp(join(tmpdir(), 'lanbox-bench-b-'));
  try {
    let t = performance.now();
    await seed(dirA);
    console.log(`box A seeded with ${NAMES} names in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const a = child(dirA, BOX_A);
    const readyA = (await a.next('ready')) as Extract<Msg, { kind: 'ready' }>;
    console.log(`box A started: registry of ${NAMES} indexed for anti-entropy in ${(readyA.indexMs / 1000).toFixed(2)} s`);

    a.send('cpu');
    const cpuA0 = (await a.next('cpu')) as Extract<Msg, { kind: 'cpu' }>;
    t = performance.now();
    const b = child(dirB, BOX_B, readyA.port);
    await b.next('ready');
    b.send('sync');
    const synced = (await b.next('synced')) as Extract<Msg, { kind: 'synced' }>;
    const total = (performance.now() - t) / 1000;
    console.log(
      `${synced.names} of ${NAMES} names copied to the empty box B and verified in ${(synced.ms / 1000).toFixed(2)} s ` +
        `(${Math.round(synced.names / (synced.ms / 1000))} names/s; ${total.toFixed(2)} s including B's start)`,
    );
    a.send('cpu');
    const cpuA1 = (await a.next('cpu')) as Extract<Msg, { kind: 'cpu' }>;
    console.log(
      `CPU time during the copy: box B ${(synced.cpuMs / 1000).toFixed(1)} s (receiving, verifying, writing), box A ${((cpuA1.cpuMs - cpuA0.cpuMs) / 1000).toFixed(1)} s (serving); ` +
        `load average while it ran: ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`,
    );
    b.send('sync');
    const again = (await b.next('synced')) as Extract<Msg, { kind: 'synced' }>;
    console.log(`next exchange, nothing changed: ${again.ms.toFixed(1)} ms (one request)`);
    for (const c of [a, b]) {
      c.send('stop');
      await c.next('done', 60_000);
    }
    if (synced.names !== NAMES) process.exitCode = 1;
  } finally {
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as string, process.argv[4] as string, process.argv[5] ? Number(process.argv[5]) : undefined);
} else {
  await main();
}
