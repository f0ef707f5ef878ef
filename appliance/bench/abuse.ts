/**
 * bench:abuse: runs the built bundle (dist/lanbox.mjs) on loopback and, one after the other,
 * floods it (connections from one address, slowloris from many addresses, a DHT storage flood,
 * a registration flood) while a normal client uses it; prints what the normal client saw.
 * Not part of the test run. Every flood is bounded in connections, requests and time.
 *
 *   npm run build -w @lanbox/appliance && npm run bench:abuse
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDhtNode, makeValue, sha1, type DhtNode } from '@lanbox/dht';
import { APPLIANCE_DIR, startAppliance, tempDir, type RunningAppliance } from '../test/helpers.js';
import { flood, loopbackAddresses, probe, until, type ProbeResult } from '../test/flood.js';
import { makeAccount, registrationBody, requestFrom } from '../test/jami-account.js';

const BUNDLE = join(APPLIANCE_DIR, 'dist', 'lanbox.mjs');
const NORMAL = '127.0.0.2';
const PATHS = ['/api/status', '/', '/name/nobody'];
const PHASE_MS = 20_000;

function line(name: string, results: Array<{ ok: boolean; ms: number }>, extra = ''): void {
  const ms = results
    .filter((r) => r.ok)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const at = (q: number) => (ms.length === 0 ? NaN : ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!);
  const fmt = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(1));
  process.stdout.write(
    `${name.padEnd(46)} ${String(ms.length).padStart(3)}/${String(results.length).padEnd(3)} ok  p50 ${fmt(at(0.5)).padStart(7)} ms  p95 ${fmt(at(0.95)).padStart(7)} ms  max ${fmt(ms.at(-1) ?? NaN).padStart(7)} ms ${extra}\n`,
  );
}

const webOk = (r: ProbeResult) => ({ ok: r.ok || r.status === 404, ms: r.ms });

async function webProbe(app: RunningAppliance, count = 40): Promise<Array<{ ok: boolean; ms: number }>> {
  return (await probe(app.webPort, PATHS, NORMAL, count, 250, 5000)).map(webOk);
}

async function status(app: RunningAppliance): Promise<Record<string, any>> {
  return (await (await fetch(`${app.base}/api/status`)).json()) as Record<string, any>;
}

async function dhtClient(boxPort: number, bind: string): Promise<DhtNode> {
  const node = createDhtNode({ port: 0, bind4: bind, bind6: null, bootstrap: [`127.0.0.1:${boxPort}`] });
  await node.start();
  // Puts need a known node: wait (bounded) until the box answered our bootstrap ping.
  await until(() => node.status().nodes[4].good > 0, 15_000);
  return node;
}

/** A normal DHT client: every 500 ms puts a value under a new key and gets it back. */
async function dhtProbe(node: DhtNode, boxPort: number, until: number): Promise<Array<{ ok: boolean; ms: number }>> {
  const out: Array<{ ok: boolean; ms: number }> = [];
  for (let i = 0; Date.now() < until; i++) {
    const t = performance.now();
    const key = sha1(new TextEncoder().encode(`normal-${Date.now()}-${i}`));
    let ok = false;
    try {
      const { acks } = await node.put(key, makeValue({ id: BigInt(i + 1), body: { type: 0, data: new TextEncoder().encode(`v${i}`) } }));
      const got = acks > 0 ? await node.get(key, { timeoutMs: 3000 }) : [];
      ok = got.length > 0 && (await node.ping(4, '127.0.0.1', boxPort)) !== null;
    } catch {
      ok = false;
    }
    out.push({ ok, ms: performance.now() - t });
    await new Promise((r) => setTimeout(r, 500));
  }
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(BUNDLE)) throw new Error(`no bundle at ${BUNDLE}: run npm run build -w @lanbox/appliance first`);
  const dir = await tempDir('lanbox-abuse-');
  const app = await startAppliance({ dataDir: dir.path, bundle: BUNDLE });
  try {
    process.stdout.write(`lanbox bundle on 127.0.0.1:${app.webPort} (web), UDP ${app.dhtPort} (DHT); normal client ${NORMAL}\n\n`);
    line('web, idle box', await webProbe(app, 20));

    let f = flood({ port: app.webPort, from: ['127.0.0.9'], count: 300, kind: 'idle', reconnect: true });
    await until(() => f.opened() >= 300, 20_000);
    line('web, 300 reconnecting idle conns from 1 addr', await webProbe(app), `(flood opened ${f.opened()})`);
    f.stop();

    f = flood({ port: app.webPort, from: loopbackAddresses(500), count: 3000, kind: 'slowloris', reconnect: true });
    await until(() => f.opened() >= 3000, 60_000);
    line('web, 3000 slowloris conns from 500 addrs', await webProbe(app), `(flood opened ${f.opened()})`);
    f.stop();
    const web = (await status(app)).appliance.web;
    process.stdout.write(`  web counters: refusedPerAddress ${web.refusedPerAddress}, evicted ${web.evicted}, refusedFull ${web.refusedFull}\n`);

    // DHT storage flood: two sources put 64-byte values under new keys as fast as the box answers.
    const flooders = await Promise.all(['127.0.5.1', '127.0.5.2'].map((a) => dhtClient(app.dhtPort, a)));
    const normal = await dhtClient(app.dhtPort, NORMAL);
    let floodPuts = 0;
    let floodAcked = 0;
    const end = Date.now() + PHASE_MS;
    const pump = async (node: DhtNode, w: number): Promise<void> => {
      for (let i = 0; Date.now() < end; i++) {
        const key = sha1(new TextEncoder().encode(`flood-${w}-${i}`));
        floodPuts++;
        const { acks } = await node.put(key, makeValue({ id: BigInt(i + 1), body: { type: 0, data: new Uint8Array(64).fill(w) } })).catch(() => ({ acks: 0 }));
        if (acks > 0) floodAcked++;
      }
    };
    const [dhtResults, webResults] = await Promise.all([
      dhtProbe(normal, app.dhtPort, end),
      webProbe(app, 40),
      ...flooders.flatMap((n, k) => Array.from({ length: 16 }, (_, w) => pump(n, k * 16 + w))),
    ]);
    line('dht put+get+ping, during a storage flood', dhtResults, `(flood: ${floodPuts} puts, ${floodAcked} acknowledged)`);
    line('web, during the DHT storage flood', webResults);
    const dht = (await status(app)).dht;
    process.stdout.write(`  dht storage: ${dht.storage.keys} keys, ${dht.storage.values} values, ${dht.storage.bytes} bytes; limited ${dht.limited}\n`);
    await Promise.all([...flooders, normal].map((n) => n.stop()));

    // Registration flood: forged registrations (valid key, wrong signature) from 500 addresses.
    const forger = await makeAccount();
    const victim = await makeAccount();
    const addrs = loopbackAddresses(500, 6);
    let sent = 0;
    const statuses = new Map<number, number>();
    const regEnd = Date.now() + PHASE_MS;
    const forge = async (w: number): Promise<void> => {
      for (let i = 0; Date.now() < regEnd; i++) {
        const name = `forged-${w}-${i}`;
        const body = registrationBody(forger, `not-${name}`);
        const r = await requestFrom(app.webPort, 'POST', `/name/${name}`, addrs[(w * 7919 + i) % addrs.length]!, body);
        sent++;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    const normalReg = async (): Promise<Array<{ ok: boolean; ms: number }>> => {
      const out: Array<{ ok: boolean; ms: number }> = [];
      const t = performance.now();
      const r = await requestFrom(app.webPort, 'POST', '/name/normal-user', NORMAL, registrationBody(victim, 'normal-user'));
      out.push({ ok: r.status === 200, ms: performance.now() - t });
      while (Date.now() < regEnd) {
        const t2 = performance.now();
        const g = await requestFrom(app.webPort, 'GET', '/name/normal-user', NORMAL);
        out.push({ ok: g.status === 200, ms: performance.now() - t2 });
        await new Promise((res) => setTimeout(res, 250));
      }
      return out;
    };
    const [regResults] = await Promise.all([normalReg(), ...Array.from({ length: 32 }, (_, w) => forge(w))]);
    line('name server register+lookups, during a reg. flood', regResults, `(flood: ${sent} forged, statuses ${JSON.stringify(Object.fromEntries(statuses))})`);
    const ns = (await status(app)).nameserver;
    process.stdout.write(`  nameserver: rateLimited ${ns.rateLimited}, trackedClients ${ns.trackedClients}, evictions ${ns.rateLimitEvictions}\n`);
    line('web, after everything', await webProbe(app, 20));
  } finally {
    await app.stop();
    await dir.remove();
  }
}

await main();
