/**
 * V8 heap settings the appliance needs, applied from inside so that `node lanbox.mjs` costs the
 * same however it is started (systemd unit, quick start, tests). This module has no imports but
 * node:v8 and is imported first by main.ts, so it runs before the rest of the bundle allocates.
 *
 * - `--semi-space-growth-factor=1`: V8 sizes the young generation when the isolate is created, so
 *   a `--max-semi-space-size` set at run time is ignored (the new space still grows to 2 × 16 MiB
 *   under load). The growth factor is read each time V8 decides to grow the new space; at 1 it
 *   never grows past its initial 1 MiB semi-space, which is what the command-line flag gave:
 *   young-generation RSS stays ~2 MiB instead of ~33 MiB once values arrive, at the price of
 *   more frequent minor GCs. (0 must never be used: V8 crashes on it.)
 * - `--optimize-for-size`: read at every GC decision; the old generation grows by the smallest
 *   factor, so garbage promoted out of the small young generation is collected sooner instead of
 *   sitting in RSS (measured with 100 000 stored 64-byte values: 463 → 424 B of RSS per value).
 *
 * - `--max-inlined-bytecode-size-cumulative=460` (half V8's default of 920): TurboFan inlines less
 *   into each optimized function, so its code and the compiler's working memory are smaller. In
 *   alternating runs: 140–210 B less RSS per stored value at 10 000 values (676 vs 813 B), CPU per
 *   request within ±6% either way (put 0.259 vs 0.287 s per 10k, listen 0.200 vs 0.193). Read at
 *   every optimization, so setting it here, before the services start, is in time.
 *
 * A flag the operator gives Node on the command line or in NODE_OPTIONS wins, so memory can
 * still be traded for CPU (`node --max-semi-space-size=16 lanbox.mjs`).
 */
import { setFlagsFromString } from 'node:v8';

const SETTINGS: Array<{ flag: string; overriddenBy: string[] }> = [
  { flag: '--semi-space-growth-factor=1', overriddenBy: ['semi-space-growth-factor', 'max-semi-space-size', 'min-semi-space-size'] },
  { flag: '--optimize-for-size', overriddenBy: ['optimize-for-size'] },
  { flag: '--max-inlined-bytecode-size-cumulative=460', overriddenBy: ['max-inlined-bytecode-size-cumulative'] },
];

const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].join(' ').replace(/_/g, '-');
for (const { flag, overriddenBy } of SETTINGS) {
  if (!overriddenBy.some((name) => given.includes(name))) setFlagsFromString(flag);
}
