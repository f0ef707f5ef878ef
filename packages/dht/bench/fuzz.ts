/**
 * Codec fuzz run: 1,000,000 hostile datagrams (random, protocol-shaped random, mutated, truncated,
 * bit-flipped, spliced vectors, lying length fields) through `decodeMessage` and the
 * `Reassembler`. Counts crashes (exceptions escaping the codec), accepted/refused datagrams, time
 * and peak RSS.
 *
 *   npm run fuzz                       # 1,000,000 datagrams, seed 1
 *   npm run fuzz -- --count 200000 --seed 9
 */

import { parseArgs } from 'node:util';
import { decodeMessage, encodeMessage, Reassembler } from '../src/codec/index.js';
import { FUZZ_KINDS, FuzzInputs, type FuzzKind } from '../test/fuzz-inputs.js';

const { values: args } = parseArgs({
  options: { count: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' } },
});
const count = Number(args.count);
const seed = Number(args.seed);

const inputs = new FuzzInputs(seed);
let clock = 0;
const reassembler = new Reassembler({}, { clock: { now: () => clock } });
const sources = ['10.0.0.1:4222', '10.0.0.2:4222', '[fe80::1]:4222'];

const perKind = new Map<FuzzKind, { n: number; accepted: number; crashes: number }>(FUZZ_KINDS.map((k) => [k, { n: 0, accepted: 0, crashes: 0 }]));
let crashes = 0;
let reencodeMismatches = 0;
let reassembled = 0;
let peakRss = process.memoryUsage().rss;
const firstCrashes: string[] = [];

const started = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
for (let i = 0; i < count; i++) {
  const kind = FUZZ_KINDS[i % FUZZ_KINDS.length]!;
  const stats = perKind.get(kind)!;
  stats.n++;
  const bytes = inputs.next(kind);
  try {
    const res = decodeMessage(bytes);
    if (res.ok) {
      stats.accepted++;
      const again = decodeMessage(encodeMessage(res.value));
      if (!again.ok) reencodeMismatches++;
      clock += inputs.int(50);
      const r = reassembler.push(sources[i % sources.length]!, res.value);
      if (r.status === 'complete' && r.message !== res.value) reassembled++;
    }
  } catch (e) {
    crashes++;
    stats.crashes++;
    if (firstCrashes.length < 5) firstCrashes.push(`${kind} ${Buffer.from(bytes).toString('hex')}: ${String(e)}`);
  }
  if (i % 10_000 === 0) {
    reassembler.tick();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
}
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
const cpu = process.cpuUsage(cpuStart);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

const out = process.stdout;
out.write(`codec fuzz: ${count} datagrams, seed ${seed}\n`);
for (const [kind, s] of perKind) {
  out.write(`  ${kind.padEnd(14)} ${String(s.n).padStart(8)} sent  ${String(s.accepted).padStart(8)} accepted  ${s.crashes} crashes\n`);
}
out.write(`crashes (exceptions): ${crashes}\n`);
out.write(`accepted but not re-decodable after encode: ${reencodeMismatches}\n`);
out.write(`reassembler: ${JSON.stringify({ ...reassembler.stats(), reassembledMessages: reassembled })}\n`);
out.write(
  `time: ${elapsedMs.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, ${((elapsedMs * 1000) / count).toFixed(2)} µs/datagram\n`,
);
out.write(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(1)} MiB\n`);
for (const c of firstCrashes) out.write(`crash: ${c}\n`);
process.exitCode = crashes === 0 && reencodeMismatches === 0 ? 0 : 1;
