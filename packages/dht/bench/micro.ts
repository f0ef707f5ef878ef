/**
 * In-process CPU cost of our own JavaScript per request, without sockets or the kernel: what the
 * socket benchmarks cannot separate from Node's per-datagram cost and the machine's load.
 * Bundles bench/micro-run.ts like the bench's own node and runs it with the appliance's V8 flags.
 *
 * Usage: npm run bench:micro -- --workload put|listen|get|ping [--count 100000] [--heap-sample]
 * (puts get distinct keys; gets cycle over 1000 keys; listens over 100 keys × 64 sources, so
 * after the first 6400 every listen refreshes a subscription, as in the load client).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { NODE_FLAGS, RESULTS_DIR } from './targets.js';

mkdirSync(RESULTS_DIR, { recursive: true });
const outfile = `${RESULTS_DIR}micro.mjs`;
await build({
  entryPoints: [fileURLToPath(new URL('./micro-run.ts', import.meta.url))],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['lanbox-source'],
  external: ['level', 'memory-level', 'classic-level'],
  logLevel: 'error',
});
const run = spawnSync(process.execPath, [...NODE_FLAGS, outfile, ...process.argv.slice(2)], { stdio: 'inherit', timeout: 600_000 });
process.exit(run.status ?? 1);
