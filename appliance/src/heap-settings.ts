/**
 * V8 heap settings the appliance needs, applied from inside so that `node lanbox.mjs` costs the
 * same however it is started (systemd unit, quick start, tests). This module has no static imports
 * but node:v8 and is imported first by main.ts, so it runs before the rest of the bundle allocates.
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
 * - `--no-opt` until start-up is done (`startupDone()` turns the optimizing compiler back on):
 *   start-up code runs once, yet its few hot loops (the CommonJS loader normalizing the paths of
 *   classic-level's ~30 files) were enough to wake TurboFan, whose first compile pages ~3.4 MB
 *   of the `node` binary's compiler code into RSS for nothing. Request handlers are optimized as
 *   before once start-up is over (V8 reads the flag at each tiering decision).
 *
 * `startupDone()` also asks V8 for the memory-reducing full GC its memory reducer would run by
 * itself 8 s after start: it shrinks the young generation back to its initial size and compacts
 * what start-up left behind (~4 MB of RSS, once, ~50 ms of CPU).
 *
 * A flag the operator gives Node on the command line or in NODE_OPTIONS wins, so memory can
 * still be traded for CPU (`node --max-semi-space-size=16 lanbox.mjs`).
 */
import { setFlagsFromString } from 'node:v8';

const SETTINGS: Array<{ flag: string; overriddenBy: string[]; afterStartup?: string }> = [
  { flag: '--semi-space-growth-factor=1', overriddenBy: ['semi-space-growth-factor', 'max-semi-space-size', 'min-semi-space-size'] },
  { flag: '--optimize-for-size', overriddenBy: ['optimize-for-size'] },
  { flag: '--no-opt', overriddenBy: ['--opt ', '--no-opt ', 'turbofan', 'max-opt', 'jitless'], afterStartup: '--opt' },
];

const given = `${[...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].join(' ').replace(/_/g, '-')} `;
const applied = SETTINGS.filter(({ overriddenBy }) => !overriddenBy.some((name) => given.includes(name)));
for (const { flag } of applied) setFlagsFromString(flag);

let settled = false;

/**
 * Called once when every service is up: restores what only start-up needed (`afterStartup`) and
 * returns start-up's leftovers to the system. Never throws; resolves when the GC has run.
 */
export async function startupDone(): Promise<void> {
  if (settled) return;
  settled = true;
  for (const { afterStartup } of applied) if (afterStartup) setFlagsFromString(afterStartup);
  // The inspector's HeapProfiler.collectGarbage is V8's low-memory notification: the only
  // memory-reducing GC reachable from JavaScript (gc() from --expose-gc does not shrink the young
  // generation). No inspector server is started; the in-process session is dropped after.
  let session: import('node:inspector').Session;
  try {
    session = new (await import('node:inspector')).Session();
    session.connect();
  } catch {
    return; // a Node built without the inspector: V8's own memory reducer does this 8 s after start
  }
  // For this one GC, V8 drops the bytecode of every function not running now (start-up code that
  // will not run again; a function needed later is compiled again on its next call).
  setFlagsFromString('--stress-flush-code');
  try {
    await new Promise<void>((resolve) => {
      session.post('HeapProfiler.collectGarbage', () => resolve());
    });
  } finally {
    setFlagsFromString('--no-stress-flush-code');
    // Not from inside the post callback: that deadlocks V8's heap profiler agent (its mutex is held).
    setImmediate(() => session.disconnect());
  }
}
