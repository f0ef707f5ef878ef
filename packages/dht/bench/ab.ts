/**
 * A/B comparison of two appliance bundles (and optionally dhtnode) in one session: all servers run
 * side by side and take turns on the same workload, run after run, so that load from other
 * processes on the machine falls on every target alike. Prints user and system CPU µs per request
 * per target and workload, and the ratios B/A and X/dhtnode.
 *
 * Usage: npm run bench:ab -- --a <old lanbox.mjs> [--b <new lanbox.mjs>] [--a-root <dir>] [--b-root <dir>] [--dhtnode]
 *          [--workloads ping,find,get] [--rounds 6] [--requests 10000]
 * --b defaults to appliance/dist/lanbox.mjs. Copy a bundle (the whole dist directory: it has its
 * node_modules beside it) before rebuilding to keep it as the A side. `--b-root <dir>` runs B under
 * the `node` of an extracted root file system, such as the box image's (see bench:idle).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { option } from './cli-option.js';
import { LoadClient, type Workload } from './load.js';
import { APPLIANCE_BUNDLE, type Server, startAppliance, startDhtnode } from './targets.js';

const bundleA = option('--a');
const bundleB = option('--b') ?? APPLIANCE_BUNDLE;
const withDhtnode = process.argv.includes('--dhtnode');
const WORKLOADS = (option('--workloads') ?? 'ping,find,get').split(',') as Workload[];
const ROUNDS = Number(option('--rounds') ?? 6);
const REQUESTS = Number(option('--requests') ?? 10_000);
const WINDOW = 2;

/**
 * CPU seconds of `pid`: user and system from /proc/PID/stat (10 ms ticks), and the exact on-CPU
 * time of all its threads from their schedstat (ns), which is what the ratios use.
 */
function times(pid: number): { user: number; sys: number; exact: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return { user: Number(f[14 - 3]) / 100, sys: Number(f[15 - 3]) / 100, exact: ns / 1e9 };
}

interface Tally {
  exact: number;
  user: number;
  sys: number;
  sent: number;
  replies: number;
}

async function main(): Promise<void> {
  if (!bundleA) throw new Error('--a <bundle> is required');
  const client = await LoadClient.create(64);
  const servers: Server[] = [];
  try {
    const named: Array<[string, Server]> = [];
    named.push(['A', await startAppliance(false, [], bundleA, option('--a-root'))]);
    named.push(['B', await startAppliance(false, [], bundleB, option('--b-root'))]);
    if (withDhtnode) named.push(['dhtnode', await startDhtnode(false)]);
    for (const [, s] of named) servers.push(s);
    const tallies = new Map<string, Tally>();
    for (const [name, s] of named) {
      const t = { name, host: s.host, port: s.port };
      await client.prepare(t);
      // Values for the get workload, and a warm-up of every workload (JIT).
      await client.run(t, { workload: 'put', count: 1000, window: WINDOW, maxSeconds: 60, putOffset: 0 });
      for (const w of WORKLOADS) await client.run(t, { workload: w, count: REQUESTS, window: WINDOW, maxSeconds: 60, putOffset: 5_000_000, getKeys: 1000 });
    }
    let putOffset = 1000;
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of WORKLOADS) {
        // Alternate the order every round: neither side always runs right after the other.
        const order = round % 2 === 0 ? named : [...named].reverse();
        for (const [name, s] of order) {
          const t = { name, host: s.host, port: s.port };
          await client.prepare(t);
          const before = times(s.pid);
          const r = await client.run(t, { workload: w, count: REQUESTS, window: WINDOW, maxSeconds: 60, putOffset, getKeys: 1000 });
          const after = times(s.pid);
          const key = `${name} ${w}`;
          const tally = tallies.get(key) ?? { exact: 0, user: 0, sys: 0, sent: 0, replies: 0 };
          tally.exact += after.exact - before.exact;
          tally.user += after.user - before.user;
          tally.sys += after.sys - before.sys;
          tally.sent += r.sent;
          tally.replies += r.replies;
          tallies.set(key, tally);
        }
        putOffset += REQUESTS;
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
    const us = (t: Tally): number => (t.exact * 1e6) / t.sent;
    console.log(`${ROUNDS} rounds x ${REQUESTS} requests; µs per request: user+sys (ticks) = on-CPU (schedstat, used for ratios)`);
    for (const w of WORKLOADS) {
      const cells: string[] = [];
      for (const [name] of named) {
        const t = tallies.get(`${name} ${w}`)!;
        cells.push(
          `${name} ${((t.user * 1e6) / t.sent).toFixed(2)}+${((t.sys * 1e6) / t.sent).toFixed(2)}=${us(t).toFixed(3)} (${((100 * t.replies) / t.sent).toFixed(1)}%)`,
        );
      }
      const a = us(tallies.get(`A ${w}`)!);
      const b = us(tallies.get(`B ${w}`)!);
      let ratios = `B/A ${(b / a).toFixed(3)}`;
      const d = tallies.get(`dhtnode ${w}`);
      if (d) ratios += `  A/dhtnode ${(a / us(d)).toFixed(3)}  B/dhtnode ${(b / us(d)).toFixed(3)}`;
      console.log(`${w.padEnd(7)} ${cells.join('  ')}  ${ratios}`);
    }
  } finally {
    for (const s of servers) await s.stop();
    client.close();
  }
}

await main();
