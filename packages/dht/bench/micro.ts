/**
 * In-process CPU cost of our own JavaScript per request, without sockets or the kernel: what the
 * socket benchmarks cannot separate from Node's per-datagram cost and the machine's load.
 * Bundles bench/micro-run.ts like the bench's own node and runs it with the appliance's V8 flags.
 *
 * Usage: npm run bench:micro -- --workload put|listen|get|ping [--count 100000] [--heap-sample | --alloc-sample]
 * (puts get distinct keys; gets cycle over 1000 keys; listens over 100 keys × 64 sources, so
 * after the first 6400 every listen refreshes a subscription, as in the load client).
 */
import { spawnSync } from 'node:child_process';
import { NODE_FLAGS, bundleBenchScript } from './targets.js';

const outfile = await bundleBenchScript('micro-run.ts', 'micro');
const run = spawnSync(process.execPath, [...NODE_FLAGS, outfile, ...process.argv.slice(2)], { stdio: 'inherit', timeout: 600_000 });
process.exit(run.status ?? 1);
