/**
 * Flood test against our node running with DEFAULT rate limits (also inside the appliance, if
 * built; and, for reference, `dhtnode` with its defaults), two scenarios for a bounded time each:
 *  - global: 64 source addresses send pings at twice the global limit (2 × 8192/s);
 *  - per-IP: one source address sends at twice the per-IP limit (2 × 1024/s).
 * Checks that answers per second stay near the limit (the node neither stops answering nor
 * answers everything) and that RSS stays bounded (sampled every 500 ms).
 *
 * Usage: npm run bench:flood [-- --seconds 10] [-- --only ours|appliance|dhtnode]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { option } from './cli-option.js';
import { LoadClient } from './load.js';
import { rssBytes } from './proc.js';
import { RESULTS_DIR, type Server, applianceBuilt, startAppliance, startDhtnode, startOurs } from './targets.js';

interface Scenario {
  name: string;
  sources: number;
  rate: number;
  /** The limit that should bind. */
  limit: number;
}
const SCENARIOS: Scenario[] = [
  { name: 'global', sources: 64, rate: 2 * 8192, limit: 8192 },
  { name: 'per-IP', sources: 1, rate: 2 * 1024, limit: 1024 },
];
const secondsAt = process.argv.indexOf('--seconds');
const SECONDS = Math.min(60, Math.max(3, secondsAt >= 0 ? Number(process.argv[secondsAt + 1]) : 10));
const only = option('--only');
/** Answers/s must stay within this fraction of the limit in every full second after the first. */
const TOLERANCE = 0.15;
/** RSS may not grow by more than this during the flood. */
const MAX_RSS_GROWTH = 64 * 2 ** 20;

interface FloodReport {
  target: string;
  scenario: string;
  sources: number;
  limit: number;
  rate: number;
  seconds: number;
  sent: number;
  answersPerSecond: number[];
  rssSamplesMiB: number[];
  withinLimit: boolean;
  rssBounded: boolean;
}

async function flood(client: LoadClient, server: Server, scenario: Scenario): Promise<FloodReport> {
  const t = { name: server.name, host: server.host, port: server.port };
  await client.prepare(t);
  await new Promise((r) => setTimeout(r, 1500)); // let the prepare gets leave the 1-s windows
  const rss: number[] = [rssBytes(server.pid)];
  const sampler = setInterval(() => rss.push(rssBytes(server.pid)), 500);
  let result: Awaited<ReturnType<typeof client.flood>>;
  try {
    result = await client.flood(t, scenario.rate, SECONDS);
  } finally {
    clearInterval(sampler);
  }
  rss.push(rssBytes(server.pid));
  // The first second includes the ramp-up of the limiter's window; judge the steady seconds.
  const steady = result.answersPerSecond.slice(1);
  const withinLimit = steady.every((n) => Math.abs(n - scenario.limit) <= TOLERANCE * scenario.limit);
  const rssBounded = Math.max(...rss) - rss[0]! <= MAX_RSS_GROWTH;
  return {
    target: server.name,
    scenario: scenario.name,
    sources: scenario.sources,
    limit: scenario.limit,
    rate: scenario.rate,
    seconds: SECONDS,
    sent: result.sent,
    answersPerSecond: result.answersPerSecond,
    rssSamplesMiB: rss.map((b) => Math.round((b / 2 ** 20) * 10) / 10),
    withinLimit,
    rssBounded,
  };
}

async function main(): Promise<void> {
  const reports: FloodReport[] = [];
  const targets: Array<[string, () => Promise<Server>]> = [
    ['ours', () => startOurs(true)],
    ...(applianceBuilt() ? [['appliance', () => startAppliance(true)] as [string, () => Promise<Server>]] : []),
    ['dhtnode', () => startDhtnode(true)],
  ];
  for (const scenario of SCENARIOS) {
    const client = await LoadClient.create(scenario.sources);
    try {
      for (const [name, start] of targets) {
        if (only !== undefined && name !== only) continue;
        const server = await start();
        try {
          reports.push(await flood(client, server, scenario));
        } finally {
          await server.stop();
        }
      }
    } finally {
      client.close();
    }
  }
  for (const r of reports) {
    console.log(`${r.target}, ${r.scenario} flood: ${r.sent} pings in ${r.seconds} s from ${r.sources} source(s) (${r.rate}/s offered, limit ${r.limit}/s)`);
    console.log(`  answers per second: ${r.answersPerSecond.join(' ')}`);
    console.log(`  RSS MiB over time:  ${r.rssSamplesMiB.join(' ')}`);
    console.log(
      `  answers within ±${TOLERANCE * 100}% of the limit after the first second: ${r.withinLimit ? 'yes' : 'NO'}; RSS growth bounded (≤ ${MAX_RSS_GROWTH / 2 ** 20} MiB): ${r.rssBounded ? 'yes' : 'NO'}`,
    );
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}flood-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(reports, null, 2));
  console.log(`results: ${file}`);
  if (reports.some((r) => r.target !== 'dhtnode' && (!r.withinLimit || !r.rssBounded))) process.exitCode = 1;
}

await main();
