/**
 * CPU profile of the appliance bundle per workload: for each workload a fresh appliance (started
 * as documented, plus `--cpu-prof`) gets 1000 puts to warm up, then `--requests` requests of that
 * workload from the benchmark's load client; the profile is written on exit and summarised:
 * share of samples per function (self time), and per group (GC, msgpack, crypto, storage, rpc,
 * sockets and the event loop, idle).
 *
 * Usage: npm run bench:profile [-- --requests N] [-- --workload get]
 * Profiles stay in bench/results/profiles/ (open them in Chrome DevTools or speedscope).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { option } from './cli-option.js';
import { LoadClient, type Workload } from './load.js';
import { RESULTS_DIR, applianceBuilt, startAppliance } from './targets.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const REQUESTS = Number(option('--requests') ?? 20_000);
const WORKLOADS: Workload[] = option('--workload') ? [option('--workload') as Workload] : ['ping', 'find', 'get', 'put', 'listen', 'mix'];
const PROFILE_DIR = `${RESULTS_DIR}profiles/`;

/** The group a function's self time is charged to, from its bundle section or its name. */
function group(f: ProfileNode['callFrame']): string {
  const n = f.functionName;
  if (n === '(garbage collector)') return 'gc';
  if (n === '(idle)') return 'idle';
  if (n === '(program)') return 'native (program)';
  if (/msgpack|Writer|Reader|decodeMsgpack|readValue|MsgMap/.test(n)) return 'msgpack';
  if (/verify|sign|createPublicKey|Verify|Sign|digest|Hash|createHash/i.test(n)) return 'crypto';
  if (f.url.startsWith('node:') || f.url === '') return `node internals${f.url ? '' : ' (native)'}`;
  return 'ours (js)';
}

function summarise(file: string, workload: string): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const groups = new Map<string, number>();
  let busy = 0;
  for (const id of p.samples) {
    const f = byId.get(id)!.callFrame;
    const g = group(f);
    groups.set(g, (groups.get(g) ?? 0) + 1);
    if (g === 'idle') continue;
    busy++;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const pct = (n: number): string => `${((n * 100) / Math.max(1, busy)).toFixed(1)}%`.padStart(6);
  console.log(`\n## ${workload}: ${busy} busy samples (shares of busy time)`);
  console.log(
    [...groups]
      .filter(([g]) => g !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([g, n]) => `${g} ${pct(n).trim()}`)
      .join(', '),
  );
  for (const [name, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 18)) console.log(`${pct(n)}  ${name}`);
}

async function main(): Promise<void> {
  if (!applianceBuilt()) throw new Error('build the appliance first: npm run build -w @lanbox/appliance');
  const client = await LoadClient.create(64);
  try {
    for (const workload of WORKLOADS) {
      const dir = `${PROFILE_DIR}${workload}/`;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const server = await startAppliance(false, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200']);
      try {
        const t = { name: 'appliance', host: server.host, port: server.port };
        await client.prepare(t);
        await client.run(t, { workload: 'put', count: 1000, window: 2, maxSeconds: 60, putOffset: 0 });
        await client.run(t, { workload, count: REQUESTS, window: 2, maxSeconds: 120, putOffset: 1000, getKeys: 1000 });
      } finally {
        await server.stop();
      }
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (file) summarise(dir + file, workload);
      else console.log(`\n## ${workload}: no profile written`);
    }
  } finally {
    client.close();
  }
}

await main();
