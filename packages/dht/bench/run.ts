/**
 * Benchmark: the same bounded UDP load against our node and Debian's `dhtnode` 2.4.12 in one
 * run, both with rate limits off. Per target: server CPU seconds per 10k requests, replies/s,
 * p50/p99 latency per workload; idle RSS; RSS per stored 64-byte value at 10k and 100k values.
 * Prints a table with ours/dhtnode ratios and writes bench/results/bench-<time>.json.
 *
 * Usage: npm run bench [-- --quick] [-- --only ours|dhtnode]
 *   --quick: 10x fewer requests and values (a smoke run); --only: bench one target.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { LoadClient, type RunResult, type Target, type Workload } from './load.js';
import { cpuSeconds, rssBytes } from './proc.js';
import { RESULTS_DIR, type Server, startDhtnode, startOurs } from './targets.js';

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const SOURCES = 64;
const REQUESTS = quick ? 2_000 : 20_000;
/** Requests in flight per source: 64 × 2 keeps both servers saturated without overflowing
 * dhtnode's default-sized socket receive buffer (it does not enlarge it; 4 in flight per source
 * already loses puts there). */
const WINDOW = 2;
const RUN_MAX_SECONDS = 60;
const MEMORY_STEPS = quick ? [1_000, 10_000] : [10_000, 100_000];
/** Runs per workload (the median is reported: other processes on the machine add noise). */
const REPEATS = 3;
const WORKLOADS: Workload[] = ['ping', 'find', 'get', 'put', 'listen', 'mix'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface WorkloadRow extends RunResult {
  cpuSecondsPer10k: number;
}

interface TargetReport {
  target: string;
  idleRssBytes: number;
  memory: Array<{ values: number; stored: number; probed: number; rssBytes: number; rssPerValueBytes: number }>;
  workloads: WorkloadRow[];
}

function target(server: Server): Target {
  return { name: server.name, host: server.host, port: server.port };
}

/** Puts `count` more 64-byte values (distinct keys) starting at put index `from`. */
async function fill(client: LoadClient, t: Target, from: number, count: number): Promise<RunResult> {
  return client.run(t, { workload: 'put', count, window: WINDOW, maxSeconds: 300, putOffset: from });
}

async function memoryReport(client: LoadClient, server: Server): Promise<Pick<TargetReport, 'idleRssBytes' | 'memory'>> {
  const t = target(server);
  await client.prepare(t);
  await sleep(2000);
  const idle = rssBytes(server.pid);
  const memory: TargetReport['memory'] = [];
  let stored = 0;
  for (const step of MEMORY_STEPS) {
    const r = await fill(client, t, stored, step - stored);
    stored = step;
    await sleep(1500);
    const rss = rssBytes(server.pid);
    // Check that the values are really held: probe 100 keys spread over everything put so far.
    const probe = Array.from({ length: 100 }, (_, i) => Math.floor((i * step) / 100));
    const found = await client.probeStored(t, probe);
    memory.push({ values: step, stored: found, probed: probe.length, rssBytes: rss, rssPerValueBytes: (rss - idle) / step });
    process.stderr.write(`  ${server.name}: ${step} values put (${r.lost} lost), ${found}/100 probed present, RSS ${(rss / 2 ** 20).toFixed(1)} MiB\n`);
  }
  return { idleRssBytes: idle, memory };
}

async function workloadReport(client: LoadClient, server: Server): Promise<WorkloadRow[]> {
  const t = target(server);
  await client.prepare(t);
  // A few values to read back in the get workload; this also warms up both servers (JIT, caches).
  await fill(client, t, 0, 1000);
  await client.run(t, { workload: 'mix', count: REQUESTS / 4, window: WINDOW, maxSeconds: RUN_MAX_SECONDS, putOffset: 10_000_000, getKeys: 1000 });
  const rows: WorkloadRow[] = [];
  let putOffset = 1000;
  for (const workload of WORKLOADS) {
    // Several runs per workload: the median run (by replies/s) is reported, CPU is summed over all.
    const runs: RunResult[] = [];
    let cpu = 0;
    for (let i = 0; i < REPEATS; i++) {
      const before = cpuSeconds(server.pid);
      runs.push(await client.run(t, { workload, count: REQUESTS, window: WINDOW, maxSeconds: RUN_MAX_SECONDS, putOffset, getKeys: 1000 }));
      cpu += cpuSeconds(server.pid) - before;
      putOffset += REQUESTS;
      await sleep(300);
    }
    runs.sort((a, b) => a.repliesPerSecond - b.repliesPerSecond);
    const r = runs[Math.floor(runs.length / 2)]!;
    const sent = runs.reduce((n, x) => n + x.sent, 0);
    rows.push({ ...r, cpuSecondsPer10k: (cpu * 10_000) / Math.max(1, sent) });
    process.stderr.write(
      `  ${server.name} ${workload}: replies/s ${runs.map((x) => x.repliesPerSecond.toFixed(0)).join(' / ')}, p99 ms ${runs.map((x) => x.p99Ms.toFixed(1)).join(' / ')}, answered ${runs.map((x) => x.replies).join(' / ')} of ${REQUESTS}, cpu ${cpu.toFixed(2)} s\n`,
    );
  }
  return rows;
}

async function benchTarget(client: LoadClient, start: () => Promise<Server>): Promise<TargetReport> {
  let server = await start();
  let mem: Pick<TargetReport, 'idleRssBytes' | 'memory'>;
  try {
    mem = await memoryReport(client, server);
  } finally {
    await server.stop();
  }
  // A fresh process for the request workloads, so stored values from the memory test do not weigh on it.
  server = await start();
  try {
    return { target: server.name, ...mem, workloads: await workloadReport(client, server) };
  } finally {
    await server.stop();
  }
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

const EMPTY: TargetReport = { target: '-', idleRssBytes: NaN, memory: [], workloads: [] };

function printTable(ours: TargetReport, theirs: TargetReport): void {
  const lines: string[][] = [['metric', 'ours', 'dhtnode', 'ours/dhtnode']];
  const row = (name: string, a: number, b: number, digits = 0): void => {
    lines.push([name, fmt(a, digits), fmt(b, digits), fmt(a / b, 2)]);
  };
  for (const w of WORKLOADS) {
    const none = { cpuSecondsPer10k: NaN, repliesPerSecond: NaN, p99Ms: NaN, replies: NaN, sent: NaN };
    const a = ours.workloads.find((x) => x.workload === w) ?? none;
    const b = theirs.workloads.find((x) => x.workload === w) ?? none;
    row(`${w}: CPU s / 10k req`, a.cpuSecondsPer10k, b.cpuSecondsPer10k, 3);
    row(`${w}: replies/s`, a.repliesPerSecond, b.repliesPerSecond);
    row(`${w}: p99 ms`, a.p99Ms, b.p99Ms, 2);
    row(`${w}: answered %`, (100 * a.replies) / a.sent, (100 * b.replies) / b.sent, 1);
  }
  row('idle RSS MiB', ours.idleRssBytes / 2 ** 20, theirs.idleRssBytes / 2 ** 20, 1);
  for (let i = 0; i < MEMORY_STEPS.length; i++) {
    const none = { values: MEMORY_STEPS[i]!, rssPerValueBytes: NaN, stored: NaN };
    const a = ours.memory[i] ?? none;
    const b = theirs.memory[i] ?? none;
    row(`RSS B/value @${MEMORY_STEPS[i]}`, a.rssPerValueBytes, b.rssPerValueBytes);
    row(`probed present @${a.values} %`, a.stored, b.stored);
  }
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  for (const l of lines) console.log(l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

async function main(): Promise<void> {
  const client = await LoadClient.create(SOURCES);
  try {
    process.stderr.write(`bench: ${SOURCES} sources, ${REQUESTS} requests per workload, window ${WINDOW}/source, memory steps ${MEMORY_STEPS}\n`);
    const ours = only === 'dhtnode' ? EMPTY : await benchTarget(client, () => startOurs(false));
    const theirs = only === 'ours' ? EMPTY : await benchTarget(client, () => startDhtnode(false));
    printTable(ours, theirs);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = `${RESULTS_DIR}bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), quick, sources: SOURCES, requests: REQUESTS, window: WINDOW, ours, dhtnode: theirs }, null, 2));
    console.log(`results: ${file}`);
  } finally {
    client.close();
  }
}

await main();
