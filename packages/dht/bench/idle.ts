/**
 * Idle memory of two appliance bundles with every service on, A and B alternately (A B B A A B…),
 * each in the network namespace `idleAllServices` creates, read every second for 30 s after ready.
 * Prints per run and as medians the 5-s and the steady reading (median of 20–30 s) with their
 * anon/file split, and B − A per pair of neighbouring runs. Needs root (the namespace).
 *
 * Usage: npm run bench:idle -- [--a <lanbox.mjs>] [--b <lanbox.mjs>] [--a-args "..."] [--b-args "..."]
 *          [--a-env "K=V ..."] [--b-env "K=V ..."] [--a-root <dir>] [--b-root <dir>] [--rounds 4] [--seconds 30]
 * Both bundles default to appliance/dist/lanbox.mjs (then compare appliance arguments). Copy a
 * bundle (the whole dist directory: it has its node_modules beside it) before rebuilding.
 * `--b-root <dir>` runs B under the `node` of an extracted root file system, e.g. the box image's
 * (`mkdir box && tar -xf images/.cache/rootfs-amd64-*.tar -C box` after `images/build.sh amd64`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { option } from './cli-option.js';
import { median } from './median.js';
import { APPLIANCE_BUNDLE, type IdleSample, RESULTS_DIR, idleAllServices, idleAt, idleSteady } from './targets.js';

const words = (s: string | undefined): string[] => (s ? s.split(' ').filter(Boolean) : []);
/** `--b-env "MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=65536"`: variables for one side only. */
const env = (s: string | undefined): Record<string, string> =>
  Object.fromEntries(
    words(s)
      .map((w) => [w.slice(0, Math.max(0, w.indexOf('='))), w.slice(w.indexOf('=') + 1)])
      .filter(([k]) => k !== ''),
  );
const sides = {
  A: { bundle: option('--a') ?? APPLIANCE_BUNDLE, args: words(option('--a-args')), env: env(option('--a-env')), root: option('--a-root') },
  B: { bundle: option('--b') ?? APPLIANCE_BUNDLE, args: words(option('--b-args')), env: env(option('--b-env')), root: option('--b-root') },
};
const ROUNDS = Math.max(1, Math.min(20, Number(option('--rounds') ?? 4)));
const SECONDS = Math.max(6, Math.min(120, Number(option('--seconds') ?? 30)));

interface Reading {
  side: 'A' | 'B';
  at5s?: IdleSample;
  steady?: IdleSample;
  samples: IdleSample[];
}

const mib = (n: number | undefined): string => (n === undefined ? '-' : (n / 2 ** 20).toFixed(1));
const show = (s: IdleSample | undefined): string => `${mib(s?.rss)} (anon ${mib(s?.anon)}, file ${mib(s?.file)})`;
async function main(): Promise<void> {
  const load = loadavg();
  const describe = (x: (typeof sides)['A']): string =>
    `${Object.entries(x.env)
      .map(([k, v]) => `${k}=${v} `)
      .join('')}${x.root === undefined ? '' : `(node of ${x.root}) `}${x.bundle} ${x.args.join(' ')}`;
  process.stderr.write(`bench:idle: ${ROUNDS} rounds, A ${describe(sides.A)}, B ${describe(sides.B)}\n`);
  const readings: Reading[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // A B, then B A: neither side always runs first or on a machine the other just left.
    const order: Array<'A' | 'B'> = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    for (const side of order) {
      const samples = await idleAllServices({ ...sides[side], seconds: SECONDS });
      if (!samples) throw new Error(`${side}: no reading (needs root for the network namespace, or the appliance did not get ready)`);
      const r: Reading = { side, at5s: idleAt(samples, 5000), steady: idleSteady(samples), samples };
      readings.push(r);
      console.log(`round ${round + 1} ${side}: 5 s ${show(r.at5s)}; steady ${show(r.steady)} MiB`);
    }
  }
  for (const when of ['at5s', 'steady'] as const) {
    for (const part of ['rss', 'anon', 'file'] as const) {
      const of = (side: 'A' | 'B'): number[] => readings.filter((r) => r.side === side).map((r) => r[when]?.[part] ?? NaN);
      const a = of('A');
      const b = of('B');
      const diffs = a.map((x, i) => (b[i]! - x) / 2 ** 20);
      console.log(
        `${when === 'at5s' ? '5 s   ' : 'steady'} ${part.padEnd(4)}: A ${mib(median(a))}  B ${mib(median(b))}  B−A per round ${diffs.map((d) => d.toFixed(1)).join(' ')} MiB`,
      );
    }
  }
  console.log(
    `load average before ${load.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}idle-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), sides, rounds: ROUNDS, readings }, null, 2));
  console.log(`results: ${file}`);
}

await main();
