/**
 * Benchmark: the same bounded UDP load against our node, the whole appliance (if built) and
 * Debian's `dhtnode` 2.4.12 in one run, all with rate limits off. Per target: server CPU seconds
 * per 10k requests, replies/s, p99 latency per workload; idle RSS; RSS per stored 64-byte value at
 * 10k and 100k values. Replies/s is bounded by the single-threaded load client (~60–100k/s on a
 * loaded 2-core machine); CPU per request is the figure that compares the servers.
 * Prints a table with ratios to dhtnode and writes bench/results/bench-<time>.json.
 *
 * The targets take turns: for each workload, every round runs it once on every target, the order
 * rotated from round to round, so load from other processes on a shared machine falls on all of
 * them alike instead of on whichever target happened to run during it. The memory part runs in
 * rounds too (a fresh process per target and round filling to 10k and 100k values, one target
 * after the other, the order rotated per round). Next to each ratio the table prints its spread:
 * the lowest and highest per-round ratio.
 *
 * Usage: npm run bench [-- --quick] [-- --only ours|appliance|dhtnode] [-- --repeats N]
 *   --quick: 10x fewer requests and values (a smoke run); --only: bench one target;
 *   --repeats: rounds per workload and memory rounds, 1–9 (default 3);
 *   --memory-only / --no-memory: only the memory rounds (and idle RSS) / only the request workloads;
 *   --idle-after S: read idle RSS S seconds after the first gets, then fill (default 25);
 *   --settle S: read RSS S seconds after each fill step (default 10).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { median } from './median.js';
import { LoadClient, type RunResult, type Target, type Workload } from './load.js';
import { cpuSeconds, onCpuSeconds, type RssSplit, rssBytes, rssSplit } from './proc.js';
import {
  type IdleSample,
  RESULTS_DIR,
  type Server,
  applianceBuilt,
  idleAllServices,
  idleAt,
  idleSteady,
  startAppliance,
  startDhtnode,
  startOurs,
} from './targets.js';

const quick = process.argv.includes('--quick');
const memoryOnly = process.argv.includes('--memory-only');
const skipMemory = process.argv.includes('--no-memory');
const onlyAt = process.argv.indexOf('--only');
/** `--only appliance,dhtnode`: the targets to bench (default: all). */
const only = onlyAt >= 0 ? process.argv[onlyAt + 1]!.split(',') : undefined;
const SOURCES = 64;
const REQUESTS = quick ? 2_000 : 20_000;
/** Requests in flight per source: 64 × 2 keeps both servers saturated without overflowing
 * dhtnode's default-sized socket receive buffer (it does not enlarge it; 4 in flight per source
 * already loses puts there). */
const WINDOW = 2;
const RUN_MAX_SECONDS = 60;
const MEMORY_STEPS = quick ? (process.env.LBPF_STEPS ? process.env.LBPF_STEPS.split(',').map(Number) : [1_000, 10_000]) : [10_000, 100_000];
const repeatsAt = process.argv.indexOf('--repeats');
/** Rounds per workload (each target runs the workload once per round) and memory rounds. A run
 * is only ~0.3 s of server CPU, so on a shared machine one run's CPU figure can swing by a third;
 * more rounds steady it. At most 9, so the put runs' distinct values (20k each) stay under the
 * store's 262 144-value limit and every run measures plain puts, not eviction. */
const REPEATS = repeatsAt >= 0 ? Math.max(1, Math.min(9, Number(process.argv[repeatsAt + 1]) || 3)) : 3;
const WORKLOADS: Workload[] = ['ping', 'find', 'get', 'put', 'listen', 'mix'];
const idleAfterAt = process.argv.indexOf('--idle-after');
const settleAt = process.argv.indexOf('--settle');
const seconds = (at: number, fallback: number): number =>
  at >= 0 ? Math.max(1, Math.min(60, Number(process.argv[at + 1]) || fallback)) * 1000 : fallback * 1000;
/**
 * RSS per stored value is (RSS holding N values − RSS holding none) / N, both read from a process
 * at rest. A fresh appliance still holds ~4 MiB of start-up garbage for its first ~8 s (V8's memory
 * reducer collects it then, or the first full GC of a fill does); an idle reading taken before
 * that and a filled reading taken after it understate the cost by ~400 B per value at 10k values
 * (earlier tables read idle 2 s after the first gets: `--idle-after 2` gives that reading back).
 * So idle is read 25 s in, and each filled reading 10 s after its fill, once the fill's garbage
 * has been collected too. dhtnode's readings do not move with the wait.
 */
const IDLE_AFTER_MS = seconds(idleAfterAt, 25);
const SETTLE_MS = seconds(settleAt, 10);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One run of a workload on one target, in the round it belongs to. */
interface Run extends RunResult {
  round: number;
  /** 0 = first target of its round. */
  position: number;
  /** Server utime + stime over the run (10-ms ticks), what the CPU rows use. */
  cpuSeconds: number;
  /** The same from the threads' schedstat (ns), kept in the raw results only. */
  onCpuSeconds: number;
}

interface WorkloadRow extends RunResult {
  /** Server CPU summed over every round, per 10k requests sent in all of them. */
  cpuSecondsPer10k: number;
  /** Every run of the workload, by round (the row's own figures are the median run's, by replies/s;
   * the table prints the median replies/s and p99 over the rounds, and answers over all of them). */
  runs: Run[];
}

interface MemoryStep {
  values: number;
  stored: number;
  probed: number;
  /** Read SETTLE_MS after the fill. */
  rssBytes: number;
  /** Read 1.5 s after the fill, as earlier tables did (raw results only). */
  rssSoonBytes: number;
  rssPerValueBytes: number;
  putCpuSecondsPer10k: number;
  /** Server CPU and puts of this step (summed over rounds in the report's own rows). */
  putCpuSeconds: number;
  puts: number;
  /**
   * Server CPU from the end of the fill to the RSS reading SETTLE_MS later: the GC work the puts
   * left behind (V8's memory reducer, the appliance's heap release), part of what they cost.
   */
  settleCpuSeconds: number;
  /** (putCpuSeconds + settleCpuSeconds) per 10k puts. */
  putAndSettleCpuSecondsPer10k: number;
}

interface MemoryRound {
  round: number;
  position: number;
  idle: RssSplit;
  memory: MemoryStep[];
}

interface TargetReport {
  target: string;
  /** Median over the memory rounds. */
  idleRssBytes: number;
  idle?: RssSplit;
  /** Per step: RSS figures are the median round's (by RSS per value), CPU is summed over rounds. */
  memory: MemoryStep[];
  memoryRounds: MemoryRound[];
  /** The appliance only: every service on, read every second for 30 s after ready. */
  idleAllServices?: { samples: IdleSample[]; at5s?: IdleSample; steady?: IdleSample };
  /** @deprecated kept for readers of older results: the 5-s reading's VmRSS. */
  idleAllServicesRssBytes?: number;
  workloads: WorkloadRow[];
}

function target(server: Server): Target {
  return { name: server.name, host: server.host, port: server.port };
}

/** `items` rotated left by `by`: round r starts with the r-th target. */
function rotated<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Puts `count` more 64-byte values (distinct keys) starting at put index `from`. */
async function fill(client: LoadClient, t: Target, from: number, count: number): Promise<RunResult> {
  return client.run(t, { workload: 'put', count, window: WINDOW, maxSeconds: 300, putOffset: from });
}

type Starter = [string, () => Promise<Server>];

/**
 * One memory round: each target in this round's order gets a fresh process and its whole
 * sequence (idle read IDLE_AFTER_MS after the load client's first gets; puts to 10k values, RSS SETTLE_MS later,
 * 100 keys probed; the same to 100k), then stops before the next target starts. The steps of one
 * target are not interleaved with another's: V8's memory reducer shrinks a fresh appliance ~8 s
 * after start, so a fill delayed by another target's turn would measure that shrink as negative
 * bytes per value. What alternates is the order, from round to round.
 */
async function memoryRound(client: LoadClient, starters: Starter[], round: number): Promise<Map<string, MemoryRound>> {
  const out = new Map<string, MemoryRound>();
  for (const [position, [, start]] of rotated(starters, round).entries()) {
    const server = await start();
    try {
      const t = target(server);
      await client.prepare(t);
      await sleep(IDLE_AFTER_MS);
      const mr: MemoryRound = { round, position, idle: rssSplit(server.pid), memory: [] };
      out.set(server.name, mr);
      let stored = 0;
      for (const step of MEMORY_STEPS) {
        const cpuBefore = cpuSeconds(server.pid);
        const r = await fill(client, t, stored, step - stored);
        const cpuAfter = cpuSeconds(server.pid);
        const putCpuSeconds = cpuAfter - cpuBefore;
        await sleep(1500);
        const rssSoon = rssBytes(server.pid);
        await sleep(SETTLE_MS - 1500);
        const rss = rssBytes(server.pid);
        const settleCpuSeconds = cpuSeconds(server.pid) - cpuAfter;
        // Check that the values are really held: probe 100 keys spread over everything put so far.
        const probe = Array.from({ length: 100 }, (_, i) => Math.floor((i * step) / 100));
        const found = await client.probeStored(t, probe);
        mr.memory.push({
          values: step,
          stored: found,
          probed: probe.length,
          rssBytes: rss,
          rssSoonBytes: rssSoon,
          rssPerValueBytes: (rss - mr.idle.rss) / step,
          putCpuSeconds,
          puts: step - stored,
          putCpuSecondsPer10k: (putCpuSeconds * 10_000) / (step - stored),
          settleCpuSeconds,
          putAndSettleCpuSecondsPer10k: ((putCpuSeconds + settleCpuSeconds) * 10_000) / (step - stored),
        });
        stored = step;
        process.stderr.write(
          `  memory round ${round + 1}: ${server.name}: ${step} values put (${r.lost} lost), ${found}/100 probed present, RSS ${(rss / 2 ** 20).toFixed(1)} MiB\n`,
        );
      }
    } finally {
      await server.stop();
    }
  }
  return out;
}

/** Sums a memory step's CPU over the rounds; RSS figures from the median round (by RSS/value). */
function memorySummary(rounds: MemoryRound[]): Pick<TargetReport, 'idleRssBytes' | 'idle' | 'memory'> {
  const idles = [...rounds].sort((a, b) => a.idle.rss - b.idle.rss);
  const memory = MEMORY_STEPS.map((values, i): MemoryStep => {
    const steps = rounds.map((r) => r.memory[i]!).filter(Boolean);
    const byRss = [...steps].sort((a, b) => a.rssPerValueBytes - b.rssPerValueBytes);
    const mid = byRss[Math.floor(byRss.length / 2)]!;
    const putCpuSeconds = steps.reduce((n, s) => n + s.putCpuSeconds, 0);
    const settleCpuSeconds = steps.reduce((n, s) => n + s.settleCpuSeconds, 0);
    const puts = steps.reduce((n, s) => n + s.puts, 0);
    return {
      ...mid,
      values,
      putCpuSeconds,
      puts,
      putCpuSecondsPer10k: (putCpuSeconds * 10_000) / Math.max(1, puts),
      settleCpuSeconds,
      putAndSettleCpuSecondsPer10k: ((putCpuSeconds + settleCpuSeconds) * 10_000) / Math.max(1, puts),
    };
  });
  const idle = idles[Math.floor(idles.length / 2)]?.idle;
  return { idleRssBytes: idle?.rss ?? NaN, idle, memory };
}

/**
 * The request workloads on fresh processes, all alive at once: for each workload, REPEATS rounds,
 * each running it once on every target, the order rotated every round (and from one workload to
 * the next, so over the whole run every target goes first about as often).
 */
async function workloadRounds(client: LoadClient, starters: Starter[]): Promise<Map<string, WorkloadRow[]>> {
  const servers: Server[] = [];
  const rows = new Map<string, WorkloadRow[]>();
  try {
    for (const [, start] of starters) servers.push(await start());
    for (const server of servers) {
      const t = target(server);
      await client.prepare(t);
      // A few values to read back in the get workload; this also warms up the servers (JIT, caches).
      await fill(client, t, 0, 1000);
      await client.run(t, { workload: 'mix', count: REQUESTS / 4, window: WINDOW, maxSeconds: RUN_MAX_SECONDS, putOffset: 10_000_000, getKeys: 1000 });
      rows.set(server.name, []);
    }
    let putOffset = 1000;
    for (const [wi, workload] of WORKLOADS.entries()) {
      const runs = new Map<string, Run[]>(servers.map((s) => [s.name, []]));
      for (let round = 0; round < REPEATS; round++) {
        for (const [position, server] of rotated(servers, wi * REPEATS + round).entries()) {
          const t = target(server);
          await client.prepare(t);
          const before = cpuSeconds(server.pid);
          const exactBefore = onCpuSeconds(server.pid);
          // Every target gets the same keys in a round: each has its own store.
          const r = await client.run(t, { workload, count: REQUESTS, window: WINDOW, maxSeconds: RUN_MAX_SECONDS, putOffset, getKeys: 1000 });
          runs
            .get(server.name)!
            .push({ ...r, round, position, cpuSeconds: cpuSeconds(server.pid) - before, onCpuSeconds: onCpuSeconds(server.pid) - exactBefore });
          await sleep(300);
        }
        putOffset += REQUESTS;
      }
      for (const server of servers) {
        const list = runs.get(server.name)!;
        const byRate = [...list].sort((a, b) => a.repliesPerSecond - b.repliesPerSecond);
        const mid = byRate[Math.floor(byRate.length / 2)]!;
        const cpu = list.reduce((n, x) => n + x.cpuSeconds, 0);
        const sent = list.reduce((n, x) => n + x.sent, 0);
        rows.get(server.name)!.push({ ...mid, cpuSecondsPer10k: (cpu * 10_000) / Math.max(1, sent), runs: list });
        process.stderr.write(
          `  ${server.name} ${workload}: CPU s/10k ${list.map((x) => ((x.cpuSeconds * 10_000) / x.sent).toFixed(3)).join(' / ')}, replies/s ${list.map((x) => x.repliesPerSecond.toFixed(0)).join(' / ')}, answered ${list.map((x) => x.replies).join(' / ')} of ${REQUESTS}\n`,
        );
      }
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  return rows;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/**
 * A table row: the figure per target, and per round (aligned by round index across targets) when
 * the figure has rounds, for the spread of the ratio.
 */
interface RowSpec {
  name: string;
  digits: number;
  value: (r: TargetReport) => number;
  rounds?: (r: TargetReport) => number[];
}

function printTable(reports: TargetReport[]): void {
  const base = reports.find((r) => r.target === 'dhtnode');
  const others = reports.filter((r) => r !== base);
  const header = ['metric', ...reports.map((r) => r.target), ...(base ? others.map((r) => `${r.target}/dhtnode (min–max over rounds)`) : [])];
  const lines: string[][] = [header];
  const row = ({ name, digits, value, rounds }: RowSpec): void => {
    // Rows of a part that did not run (--no-memory, --memory-only) are left out.
    if (!reports.some((r) => Number.isFinite(value(r)))) return;
    const ratios = base
      ? others.map((r) => {
          const ratio = fmt(value(r) / value(base), 2);
          if (!rounds) return ratio;
          const a = rounds(r);
          const b = rounds(base);
          const per = a.map((x, i) => x / b[i]!).filter(Number.isFinite);
          return per.length > 1 ? `${ratio} (${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)})` : ratio;
        })
      : [];
    lines.push([name, ...reports.map((r) => fmt(value(r), digits)), ...ratios]);
  };
  const w = (r: TargetReport, name: Workload): WorkloadRow | undefined => r.workloads.find((x) => x.workload === name);
  const runs = (r: TargetReport, name: Workload): Run[] => w(r, name)?.runs ?? [];
  for (const name of WORKLOADS) {
    row({
      name: `${name}: CPU s / 10k req`,
      digits: 3,
      value: (r) => w(r, name)?.cpuSecondsPer10k ?? NaN,
      rounds: (r) => runs(r, name).map((x) => (x.cpuSeconds * 10_000) / x.sent),
    });
    // Replies/s and p99: the median over the rounds; answered: over all rounds.
    row({
      name: `${name}: replies/s`,
      digits: 0,
      value: (r) => median(runs(r, name).map((x) => x.repliesPerSecond)),
      rounds: (r) => runs(r, name).map((x) => x.repliesPerSecond),
    });
    row({ name: `${name}: p99 ms`, digits: 2, value: (r) => median(runs(r, name).map((x) => x.p99Ms)), rounds: (r) => runs(r, name).map((x) => x.p99Ms) });
    row({
      name: `${name}: answered %`,
      digits: 1,
      value: (r) => (runs(r, name).reduce((n, x) => n + x.replies, 0) * 100) / runs(r, name).reduce((n, x) => n + x.sent, 0),
      rounds: (r) => runs(r, name).map((x) => (x.replies * 100) / x.sent),
    });
  }
  const memRounds = (r: TargetReport, f: (m: MemoryRound) => number): number[] => r.memoryRounds.map(f);
  for (const [i, step] of MEMORY_STEPS.entries()) {
    row({
      name: `puts filling to ${step} values: CPU s / 10k`,
      digits: 3,
      value: (r) => r.memory[i]?.putCpuSecondsPer10k ?? NaN,
      rounds: (r) => memRounds(r, (m) => m.memory[i]?.putCpuSecondsPer10k ?? NaN),
    });
    row({
      name: `  the same with the ${SETTLE_MS / 1000} s after it: CPU s / 10k`,
      digits: 3,
      value: (r) => r.memory[i]?.putAndSettleCpuSecondsPer10k ?? NaN,
      rounds: (r) => memRounds(r, (m) => m.memory[i]?.putAndSettleCpuSecondsPer10k ?? NaN),
    });
  }
  const mib = (n: number | undefined): number => (n ?? NaN) / 2 ** 20;
  row({
    name: `idle RSS MiB (DHT only, ${IDLE_AFTER_MS / 1000} s)`,
    digits: 1,
    value: (r) => mib(r.idleRssBytes),
    rounds: (r) => memRounds(r, (m) => mib(m.idle.rss)),
  });
  // Every service on (the appliance); dhtnode's column is its own idle reading, as in the row above.
  const all = (r: TargetReport, when: 'at5s' | 'steady', part: keyof RssSplit): number =>
    mib(r.target === 'dhtnode' ? r.idle?.[part] : (r.idleAllServices?.[when]?.[part] ?? NaN));
  for (const [when, label] of [
    ['at5s', '5 s after ready'],
    ['steady', 'steady (median 20–30 s)'],
  ] as const) {
    row({ name: `idle RSS MiB, every service on, ${label}`, digits: 1, value: (r) => all(r, when, 'rss') });
    row({ name: `  of which anon MiB`, digits: 1, value: (r) => all(r, when, 'anon') });
    row({ name: `  of which file MiB (mostly the binary's clean pages)`, digits: 1, value: (r) => all(r, when, 'file') });
  }
  for (const [i, step] of MEMORY_STEPS.entries()) {
    row({
      name: `RSS B/value @${step}`,
      digits: 0,
      value: (r) => r.memory[i]?.rssPerValueBytes ?? NaN,
      rounds: (r) => memRounds(r, (m) => m.memory[i]?.rssPerValueBytes ?? NaN),
    });
    row({
      name: `probed present @${step} %`,
      digits: 0,
      value: (r) => r.memory[i]?.stored ?? NaN,
      rounds: (r) => memRounds(r, (m) => m.memory[i]?.stored ?? NaN),
    });
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  for (const l of lines) console.log(l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

async function main(): Promise<void> {
  const client = await LoadClient.create(SOURCES);
  try {
    process.stderr.write(
      `bench: ${SOURCES} sources, ${REQUESTS} requests per workload and round, ${REPEATS} rounds, window ${WINDOW}/source, memory steps ${MEMORY_STEPS}; load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n`,
    );
    const all: Starter[] = [['ours', () => startOurs(false)]];
    if (applianceBuilt()) all.push(['appliance', () => startAppliance(false)]);
    else process.stderr.write('appliance/dist/lanbox.mjs not built: benching our node alone\n');
    all.push(['dhtnode', () => startDhtnode(false)]);
    const starters = all.filter(([name]) => only === undefined || only.includes(name));
    const loadBefore = loadavg();
    const reports = new Map<string, TargetReport>(
      starters.map(([name]) => [name, { target: name, idleRssBytes: NaN, memory: [], memoryRounds: [], workloads: [] }]),
    );
    if (!skipMemory) {
      for (let round = 0; round < REPEATS; round++) {
        for (const [name, mr] of await memoryRound(client, starters, round)) reports.get(name)!.memoryRounds.push(mr);
      }
      for (const report of reports.values()) Object.assign(report, memorySummary(report.memoryRounds));
      const appliance = reports.get('appliance');
      if (appliance) {
        const samples = await idleAllServices();
        if (samples) {
          appliance.idleAllServices = { samples, at5s: idleAt(samples, 5000), steady: idleSteady(samples) };
          appliance.idleAllServicesRssBytes = appliance.idleAllServices.at5s?.rss;
        }
      }
    }
    if (!memoryOnly) {
      for (const [name, rows] of await workloadRounds(client, starters)) reports.get(name)!.workloads = rows;
    }
    const loadAfter = loadavg();
    printTable([...reports.values()]);
    console.log(
      `load average (1/5/15 min) before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}\n` +
        `${REPEATS} rounds; CPU summed over rounds, replies/s and p99 their median; in brackets the lowest and highest per-round ratio; ` +
        `dhtnode's "every service on" rows are its own idle reading`,
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = `${RESULTS_DIR}bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    writeFileSync(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          quick,
          sources: SOURCES,
          requests: REQUESTS,
          repeats: REPEATS,
          window: WINDOW,
          loadBefore,
          loadAfter,
          reports: [...reports.values()],
        },
        null,
        2,
      ),
    );
    console.log(`results: ${file}`);
  } finally {
    client.close();
  }
}

await main();
