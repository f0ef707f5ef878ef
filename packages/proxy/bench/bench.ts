/**
 * Benchmark (not part of the tests): our proxy and OpenDHT's `dhtnode --proxyserver` (2.4.12)
 * side by side in one run, each in its own process on loopback:
 *   - idle listen streams held (`STREAMS`, default 10 000, on STREAMS/10 keys) and RSS per stream;
 *   - time from a put (POST through the proxy) to its line on every stream of one hot key
 *     (`HOT` streams, default 1000), over `ROUNDS` puts;
 *   - pushes per second to our push service: direct publishes, and end to end (puts on a key with
 *     `SUBS` encrypted UnifiedPush subscriptions → proxy → push service → ntfy-like streams).
 * Every phase is bounded in count and time. Usage: `npm run bench -w @lanbox/proxy`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { fileURLToPath } from 'node:url';

const STREAMS = Number(process.env.STREAMS ?? 10_000);
const HOT = Number(process.env.HOT ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PUBLISHES = Number(process.env.PUBLISHES ?? 3000);
const SUBS = Number(process.env.SUBS ?? 200);
const PHASE_MS = 180_000;

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const hex40 = (i: number) => i.toString(16).padStart(8, '0').repeat(5);

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Target {
  name: string;
  pid: number;
  proxyPort: number;
  pushPort?: number;
  stop(): Promise<void>;
}

async function waitLine(child: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} after ${ms} ms: ${buf.slice(-500)}`)), ms);
    const on = (d: Buffer) => {
      buf += d.toString();
      const m = buf.split('\n').find((l) => re.test(l));
      if (m !== undefined) {
        clearTimeout(timer);
        child.stdout!.off('data', on);
        resolve(m);
      }
    };
    child.stdout!.on('data', on);
  });
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.stdin?.end('x\n');
  const t = setTimeout(() => c.pid !== undefined && process.kill(c.pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

async function startOurs(): Promise<Target> {
  const server = fileURLToPath(new URL('./server.ts', import.meta.url));
  const c = spawn(process.execPath, ['--conditions=lanbox-source', '--import', 'tsx', server], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  const ports = JSON.parse(await waitLine(c, /^\{/, 60_000)) as { proxy: number; push: number };
  return { name: 'lanbox proxy', pid: c.pid!, proxyPort: ports.proxy, pushPort: ports.push, stop: () => stopChild(c) };
}

async function startDhtnode(): Promise<Target> {
  // A second node so that the proxy's node is not isolated (2.4.12 fails puts without peers).
  const peerPort = await freeUdpPort();
  const peer = spawn('/usr/bin/dhtnode', ['-p', String(peerPort)], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(peer);
  await waitLine(peer, /running on port/, 20_000);
  const proxyPort = 20_000 + Math.floor(Math.random() * 10_000);
  const c = spawn('/usr/bin/dhtnode', ['-p', String(await freeUdpPort()), '-b', `127.0.0.1:${peerPort}`, '--proxyserver', String(proxyPort)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(c);
  await waitLine(c, /running on port/, 20_000);
  // Wait until the proxy answers node info.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await call(proxyPort, 'GET', '/node/info').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('dhtnode proxy did not answer');
    await sleep(200);
  }
  return {
    name: 'dhtnode --proxyserver',
    pid: c.pid!,
    proxyPort,
    stop: async () => {
      await stopChild(c);
      await stopChild(peer);
    },
  };
}

function call(port: number, method: string, path: string, body?: string | Uint8Array): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

interface Stream {
  req: ClientRequest;
  onLine?: (line: string) => void;
}

/** Opens `count` listen streams (at most 256 connecting at once); resolves with those that got 200. */
async function openStreams(port: number, count: number, keyOf: (i: number) => string): Promise<{ streams: Stream[]; failed: number; ms: number }> {
  const streams: Stream[] = [];
  let failed = 0;
  let next = 0;
  const t0 = Date.now();
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const s: Stream = { req: undefined as unknown as ClientRequest };
      const req = request({ host: '127.0.0.1', port, path: `/key/${keyOf(i)}/listen`, agent: false, headers: { Connection: 'keep-alive' } }, (res) => {
        if (res.statusCode !== 200) {
          failed++;
          req.destroy();
          resolve();
          return;
        }
        let partial = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          const parts = (partial + d).split('\n');
          partial = parts.pop() ?? '';
          for (const l of parts) s.onLine?.(l);
        });
        res.on('error', () => {});
        streams.push(s);
        resolve();
      });
      s.req = req;
      req.setTimeout(30_000, () => req.destroy());
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end();
    });
  const workers = Array.from({ length: 256 }, async () => {
    while (next < count && Date.now() - t0 < PHASE_MS) await one(next++);
  });
  await Promise.all(workers);
  return { streams, failed, ms: Date.now() - t0 };
}

const closeAll = (streams: Stream[]) => {
  for (const s of streams) s.req.destroy();
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface Result {
  name: string;
  streamsHeld: number;
  streamsFailed: number;
  openMs: number;
  rssBaseKiB: number;
  rssHeldKiB: number;
  bytesPerStream: number;
  putToLine: { p50: number; p95: number; max: number; missing: number };
}

async function measure(target: Target): Promise<Result> {
  await sleep(1000);
  const base = rssKiB(target.pid);
  const idle = await openStreams(target.proxyPort, STREAMS, (i) => hex40(1 + Math.floor(i / 10)));
  await sleep(3000);
  const held = rssKiB(target.pid);
  // Still alive after the wait? Count streams whose socket is open.
  const alive = idle.streams.filter((s) => !s.req.destroyed && s.req.socket?.destroyed === false).length;
  console.error(`${target.name}: ${alive}/${STREAMS} idle streams held (${idle.failed} failed) in ${idle.ms} ms; RSS ${base} → ${held} KiB`);

  const hotKey = 'feedfacefeedfacefeedfacefeedfacefeedface';
  const hot = await openStreams(target.proxyPort, HOT, () => hotKey);
  await sleep(1000);
  const latencies: number[] = [];
  let missing = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const id = String(1_000_000 + r);
    const seen = new Set<Stream>();
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      for (const s of hot.streams) {
        s.onLine = (l) => {
          if (!seen.has(s) && l.includes(`"id":"${id}"`)) {
            seen.add(s);
            latencies.push(performance.now() - t0);
            if (seen.size === hot.streams.length) {
              clearTimeout(timer);
              resolve();
            }
          }
        };
      }
    });
    const put = await call(target.proxyPort, 'POST', `/key/${hotKey}`, `{"id":"${id}","type":0,"data":"${Buffer.from(`round ${r}`).toString('base64')}"}`);
    if (put.status !== 200) console.error(`${target.name}: put answered ${put.status} ${put.body}`);
    await done;
    missing += hot.streams.length - seen.size;
  }
  closeAll(hot.streams);
  closeAll(idle.streams);
  await sleep(2000);
  return {
    name: target.name,
    streamsHeld: alive,
    streamsFailed: idle.failed,
    openMs: idle.ms,
    rssBaseKiB: base,
    rssHeldKiB: held,
    bytesPerStream: alive > 0 ? Math.round(((held - base) * 1024) / alive) : NaN,
    putToLine: { p50: pct(latencies, 50), p95: pct(latencies, 95), max: Math.max(...latencies), missing },
  };
}

async function pushRates(target: Target): Promise<{ publishesPerSec: number; endToEndPerSec: number; delivered: number; expected: number }> {
  const pushPort = target.pushPort!;
  // Direct publishes to one topic with one ntfy-like stream on it.
  let got = 0;
  const sub = request({ host: '127.0.0.1', port: pushPort, path: '/upBENCHBENCH01/json', agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d: string) => (got += (d.match(/"event":"message"/g) ?? []).length));
  });
  sub.end();
  await sleep(500);
  const body = randomBytes(200);
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (sent < PUBLISHES && performance.now() - t0 < PHASE_MS) {
        sent++;
        await call(pushPort, 'POST', '/upBENCHBENCH01?up=1', body);
      }
    }),
  );
  const deadline = Date.now() + 30_000;
  while (got < sent && Date.now() < deadline) await sleep(50);
  const publishesPerSec = Math.round(got / ((performance.now() - t0) / 1000));
  sub.destroy();

  // End to end: SUBS encrypted UnifiedPush subscriptions on one key, ntfy-like streams of 50 topics.
  const key = 'babebabebabebabebabebabebabebabebabebabe';
  const topics = Array.from({ length: SUBS }, (_, i) => `upE2E${String(i).padStart(7, '0')}`);
  let delivered = 0;
  const subs: ClientRequest[] = [];
  for (let i = 0; i < topics.length; i += 50) {
    const r = request({ host: '127.0.0.1', port: pushPort, path: `/${topics.slice(i, i + 50).join(',')}/json`, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => (delivered += (d.match(/"event":"message"/g) ?? []).length));
    });
    r.end();
    subs.push(r);
  }
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const keys = `${ecdh.getPublicKey().toString('base64url')}|${randomBytes(16).toString('base64url')}`;
  for (const t of topics) {
    const r = await call(
      target.proxyPort,
      'SUBSCRIBE',
      `/key/${key}`,
      JSON.stringify({ key: `http://127.0.0.1:${pushPort}/${t}?up=1`, client_id: t, session_id: 's', platform: 'unifiedpush', topic: keys }),
    );
    if (r.status !== 200) throw new Error(`subscribe ${r.status} ${r.body}`);
  }
  await sleep(500);
  const PUTS = 10;
  const t1 = performance.now();
  for (let p = 0; p < PUTS; p++) await call(target.proxyPort, 'POST', `/key/${key}`, `{"id":"${9000 + p}","type":0,"data":"eA=="}`);
  const expected = PUTS * SUBS;
  const deadline2 = Date.now() + 120_000;
  while (delivered < expected && Date.now() < deadline2) await sleep(20);
  const endToEndPerSec = Math.round(delivered / ((performance.now() - t1) / 1000));
  for (const r of subs) r.destroy();
  return { publishesPerSec, endToEndPerSec, delivered, expected };
}

const ours = await startOurs();
const oursResult = await measure(ours);
const push = await pushRates(ours);
await ours.stop();
const theirs = await startDhtnode();
const theirsResult = await measure(theirs);
await theirs.stop();

const ratio = (a: number, b: number) => (b === 0 ? NaN : Math.round((a / b) * 100) / 100);
const report = {
  machine: { cpus: (await import('node:os')).cpus().length, load: (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10) },
  settings: { STREAMS, HOT, ROUNDS, PUBLISHES, SUBS },
  ours: oursResult,
  dhtnode: theirsResult,
  ratios: {
    streamsHeld: ratio(oursResult.streamsHeld, theirsResult.streamsHeld),
    bytesPerStream: ratio(oursResult.bytesPerStream, theirsResult.bytesPerStream),
    putToLineP50: ratio(oursResult.putToLine.p50, theirsResult.putToLine.p50),
    putToLineMax: ratio(oursResult.putToLine.max, theirsResult.putToLine.max),
  },
  push,
};
console.log(JSON.stringify(report, null, 2));
process.exit(0);
