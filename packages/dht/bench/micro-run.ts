/**
 * The process bench/micro.ts starts (bundled, with the appliance's V8 flags): a node on a
 * transport that hands datagrams straight to the engine and drops the replies, fed `--count`
 * requests of one workload after a warm-up. Prints CPU µs per request (our JavaScript and GC, no
 * sockets), the GC count and the storage stats; `--heap-sample` adds the allocation sites whose
 * objects outlived a scavenge (B per request), `--alloc-sample` every allocation site, young
 * garbage included.
 */
import { encodeMessage, makeValue, type Message, type Request } from '../src/codec/index.js';
import { createDhtNode } from '../src/index.js';
import type { Transport } from '../src/transport/transport.js';
import { option } from './cli-option.js';

const workload = option('--workload') ?? 'put';
const count = Number(option('--count') ?? 100_000);
const sources = 64;

let deliver: (family: 4 | 6, address: string, port: number, bytes: Uint8Array) => void = () => {};
let lastReply: Uint8Array | undefined;
const transport: Transport = {
  send(_f, _a, _p, bytes) {
    lastReply ??= Buffer.from(bytes);
  },
  sendLent(_f, _a, _p, bytes) {
    lastReply ??= Buffer.from(bytes);
    return false;
  },
  onDatagram(h) {
    deliver = h;
  },
  async bind() {},
  async close() {},
  localPort: () => 4222,
  sendErrors: () => 0,
};

const node = createDhtNode({ rateLimit: null }, { transport });
await node.start();

const msg = (request: Request, tid: number): Message => ({ kind: 'request', tid, userAgent: 'o2', networkId: 0, client: false, request });
const { randomBytes } = await import('node:crypto');
const ids = Array.from({ length: sources }, () => new Uint8Array(randomBytes(20)));
const idOf = (s: number): Uint8Array => ids[s]!;
const keyOf = (i: number): Uint8Array => {
  const k = new Uint8Array(20);
  k[0] = 1;
  new DataView(k.buffer).setUint32(16, i);
  new DataView(k.buffer).setUint32(12, Math.imul(i, 2654435761) >>> 0);
  return k;
};
const addr = (s: number): string => `127.0.0.${2 + s}`;

// A token per source, from a get reply (the first datagram sent: a ping to the new node may follow).
const tokens: Uint8Array[] = [];
for (let s = 0; s < sources; s++) {
  lastReply = undefined;
  deliver(4, addr(s), 5000, encodeMessage(msg({ type: 'get', id: idOf(s), key: keyOf(0) }, 1)));
  const r = Buffer.from(lastReply!);
  const at = r.indexOf(Buffer.from('token'));
  tokens.push(new Uint8Array(r.subarray(at + 7, at + 7 + r[at + 6]!)));
}

const KEY_MARK = new Uint8Array(20).fill(0xab);
const VID_MARK = 0x0123456789abcdefn;
function template(s: number): { bytes: Uint8Array; keyAt: number; vidAt: number } {
  const id = idOf(s);
  const token = tokens[s]!;
  let request: Request;
  switch (workload) {
    case 'ping':
      request = { type: 'ping', id };
      break;
    case 'get':
      request = { type: 'get', id, key: KEY_MARK };
      break;
    case 'listen':
      request = { type: 'listen', id, key: KEY_MARK, token, socketId: 1, version: 1 };
      break;
    default: {
      const value = makeValue({ id: VID_MARK, body: { type: 0, data: new Uint8Array(64).fill(0x42) } });
      request = { type: 'put', id, key: KEY_MARK, values: { kind: 'inline', values: [value] }, token };
    }
  }
  const bytes = Buffer.from(encodeMessage(msg(request, 0x01020304)));
  const vid = Buffer.alloc(8);
  vid.writeBigUInt64BE(VID_MARK);
  return { bytes, keyAt: bytes.indexOf(Buffer.from(KEY_MARK)), vidAt: bytes.indexOf(vid) };
}
const templates = Array.from({ length: sources }, (_, s) => template(s));

let gcs = 0;
const { PerformanceObserver } = await import('node:perf_hooks');
const obs = new PerformanceObserver((l) => {
  gcs += l.getEntries().length;
});
obs.observe({ entryTypes: ['gc'] });
/** Requests `from`..`from+n`: puts get distinct keys and ids, gets cycle over 1000 keys, listens over 100. */
const run = (n: number, from: number): number => {
  const t0 = process.cpuUsage();
  for (let i = from; i < from + n; i++) {
    const s = i % sources;
    const t = templates[s]!;
    // A Buffer over an ArrayBuffer of its own, as node:dgram hands each datagram over.
    const g = Buffer.allocUnsafeSlow(t.bytes.length);
    g.set(t.bytes);
    if (t.keyAt >= 0) {
      // Listens: every source on each of 100 keys (6400 subscriptions, as the load client ends up with).
      const k = workload === 'put' ? i : workload === 'get' ? i % 1000 : 5_000_000 + (Math.floor(i / sources) % 100);
      g[t.keyAt + 16] = k >>> 24;
      g[t.keyAt + 17] = k >>> 16;
      g[t.keyAt + 18] = k >>> 8;
      g[t.keyAt + 19] = k;
    }
    if (t.vidAt >= 0) {
      g[t.vidAt + 4] = (i + 1) >>> 24;
      g[t.vidAt + 5] = (i + 1) >>> 16;
      g[t.vidAt + 6] = (i + 1) >>> 8;
      g[t.vidAt + 7] = i + 1;
    }
    deliver(4, addr(s), 5000, g);
  }
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / n;
};
const offset = Number(option('--offset') ?? 0);
if (offset > 0 && workload === 'put') run(offset, 0);
run(20_000, 1e9 - 100_000);
gcs = 0;
// --heap-sample: which allocation sites outlive a scavenge (promoted), as a sampling heap profile;
// --alloc-sample: every allocation, young garbage included (what fills the nursery between scavenges).
const allocAll = process.argv.includes('--alloc-sample');
const sampling = allocAll || process.argv.includes('--heap-sample');
const { Session } = await import('node:inspector');
const session = new Session();
const post = (method: string, params?: object): Promise<unknown> =>
  new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
if (sampling) {
  session.connect();
  await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: allocAll });
}
const us = run(count, offset);
if (sampling) {
  interface SampleNode {
    callFrame: { functionName: string; lineNumber: number };
    selfSize: number;
    children: SampleNode[];
  }
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { head: SampleNode } };
  const sites: Array<[string, number]> = [];
  const walk = (n: SampleNode, path: string): void => {
    const here = `${n.callFrame.functionName || '(anon)'}:${n.callFrame.lineNumber + 1}`;
    const p = path ? `${path} < ${here}` : here;
    if (n.selfSize > 0) sites.push([p.split(' < ').slice(-4).reverse().join(' < '), n.selfSize]);
    for (const c of n.children) walk(c, p);
  };
  walk(profile.head, '');
  sites.sort((a, b) => b[1] - a[1]);
  for (const [site, size] of sites.slice(0, allocAll ? 30 : 15)) process.stdout.write(`${(size / count).toFixed(1).padStart(7)} B/request  ${site}\n`);
  const total = sites.reduce((sum, [, size]) => sum + size, 0);
  process.stdout.write(`${(total / count).toFixed(1).padStart(7)} B/request  in all (sampled)\n`);
}
await new Promise((r) => setTimeout(r, 10));
process.stdout.write(
  `${workload}: ${us.toFixed(2)} µs/request ${gcs} GCs, storage ${JSON.stringify(node.status().storage)} counters ${JSON.stringify(node.status().counters?.dropped)}\n`,
);
await node.stop();
process.exit(0);
