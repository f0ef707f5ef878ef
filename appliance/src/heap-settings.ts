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
 * - `--optimize-for-size` only until the young generation is small, then off: under it every
 *   full GC runs in V8's memory-reducing mode, and such a GC is also what shrinks the young
 *   generation from the 2 × 2 MiB Node's start-up grew it to back to 2 × 1 MiB (the growth factor
 *   keeps it there afterwards). Once that has happened, memory-reducing full GCs only cost CPU:
 *   with the young generation already small, RSS per stored value stays within the targets, and
 *   V8 runs fewer, ordinary full GCs (filling 100 000 values: 2 instead of 5). A check every
 *   250 ms (for at most 10 minutes; if the young generation has not shrunk by then the flag
 *   simply stays on) reads the young generation's size and turns the flag off once it is at most
 *   2 MiB.
 * - `--heap-growing-percent=20`: with `--optimize-for-size` off, V8 would let the old generation
 *   grow by up to its default factor between full GCs: 414–420 B of RSS per value at 100 000
 *   values, over the 0.5 × dhtnode target (418 B); at 1.2 it measured 376–385 B. Read at every
 *   full GC. Together with the switch above, in alternating runs against the bundle that kept
 *   `--optimize-for-size` on: CPU per put −10 to −17%, listen −8 to −11%, mix −6 to −12%; RSS
 *   per value 684 vs 640 B at 10 000 values, 384 vs 375 B at 100 000, idle unchanged.
 *
 * Not used, measured (docs/performance-findings.md, "Writes"): `--single-threaded-gc`, or
 * `--no-concurrent-marking` with the `--no-parallel-*` GC flags, set at run time crash V8 at a
 * full GC under load (a fatal check in the C++ heap's marker): never set them from here.
 *
 * A flag the operator gives Node on the command line or in NODE_OPTIONS wins, so memory can
 * still be traded for CPU (`node --max-semi-space-size=16 lanbox.mjs`); an operator's
 * `--optimize-for-size` stays on.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const SETTINGS: Array<{ flag: string; overriddenBy: string[] }> = [
  { flag: '--semi-space-growth-factor=1', overriddenBy: ['semi-space-growth-factor', 'max-semi-space-size', 'min-semi-space-size'] },
  { flag: '--optimize-for-size', overriddenBy: ['optimize-for-size'] },
  { flag: '--max-inlined-bytecode-size-cumulative=460', overriddenBy: ['max-inlined-bytecode-size-cumulative'] },
  { flag: '--heap-growing-percent=20', overriddenBy: ['heap-growing-percent'] },
];

const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].join(' ').replace(/_/g, '-');
const applied = new Set<string>();
for (const { flag, overriddenBy } of SETTINGS) {
  if (!overriddenBy.some((name) => given.includes(name))) {
    setFlagsFromString(flag);
    applied.add(flag);
  }
}

/** V8's new space at its initial 1 MiB semi-spaces (64-bit), both of them. */
const SMALL_YOUNG_GENERATION = 2 * 1024 * 1024;
const CHECK_MS = 250;
const CHECKS = (10 * 60 * 1000) / CHECK_MS;

if (applied.has('--optimize-for-size') && applied.has('--semi-space-growth-factor=1')) {
  let left = CHECKS;
  const timer = setInterval(() => {
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    if (young !== undefined && young.space_size <= SMALL_YOUNG_GENERATION) setFlagsFromString('--no-optimize-for-size');
    else if (--left > 0) return;
    clearInterval(timer);
  }, CHECK_MS);
  // Never keeps the process alive (`lanbox --version` exits at once).
  timer.unref();
}
