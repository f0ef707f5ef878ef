/**
 * V8 heap settings the appliance needs, applied from inside so that `node lanbox.mjs` costs the
 * same however it is started (systemd unit, quick start, tests). This module has no imports but
 * node:v8 and is imported first by main.ts, so it runs before the rest of the bundle allocates.
 *
 * Why the growth factor and not `--max-semi-space-size=1`: V8 sizes the young generation when the
 * isolate is created, so a max-semi-space flag set at run time is ignored (the new space still
 * grows to 2 × 16 MiB under load). The growth factor is read each time V8 decides to grow the new
 * space; at 1 it never grows past its initial 1 MiB semi-space, which is what the command-line
 * flag gave: young-generation RSS stays ~2 MiB instead of ~33 MiB once values arrive, at the price
 * of more frequent minor GCs (counted by the DHT benchmark's CPU per request).
 *
 * 0 must never be used (V8 crashes on it); an explicit `--semi-space-growth-factor` or
 * `--max-semi-space-size` on the command line wins, so an operator can still trade memory for CPU.
 */
import { setFlagsFromString } from 'node:v8';

const operatorChose = process.execArgv.some((a) => a.startsWith('--semi-space-growth-factor') || a.startsWith('--max-semi-space-size'));
if (!operatorChose && !/--(semi-space-growth-factor|max-semi-space-size)/.test(process.env.NODE_OPTIONS ?? '')) {
  setFlagsFromString('--semi-space-growth-factor=1');
}
