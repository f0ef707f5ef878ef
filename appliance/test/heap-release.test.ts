/** When the appliance gives heap memory back after a burst of writes, with scripted readings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeapRelease, startHeapRelease, type HeapProbe } from '../src/heap-release.js';

const MiB = 1024 * 1024;

/** A probe whose readings the test sets; a release shrinks the committed heap to `afterRelease`. */
function scripted(committed: number) {
  const probe = {
    committed,
    busy: 0,
    afterRelease: committed,
    releases: 0,
    available: true,
    fail: false,
    committedBytes: () => probe.committed,
    busySinceLastCall: () => probe.busy,
    release: async () => {
      if (probe.fail) throw new Error('inspector went away');
      if (!probe.available) return false;
      probe.releases++;
      probe.committed = probe.afterRelease;
      return true;
    },
  };
  return probe satisfies HeapProbe;
}

const warnings: string[] = [];
const logger = { debug: () => undefined, warn: (_o: object, msg: string) => void warnings.push(msg) };

test('after the heap grew and the loop went quiet, one release; not before, not while busy', async () => {
  const p = scripted(10 * MiB);
  const r = new HeapRelease({}, p, logger);
  assert.equal(await r.check(0), false, 'no growth');
  p.committed = 16 * MiB;
  p.busy = 0.9;
  assert.equal(await r.check(1000), false, 'still busy');
  p.busy = 0.01;
  p.afterRelease = 12 * MiB;
  assert.equal(await r.check(2000), true);
  assert.equal(p.releases, 1);
  assert.deepEqual(r.status(), { counters: { releases: 1, releasedBytes: 4 * MiB }, last: { beforeBytes: 16 * MiB, afterBytes: 12 * MiB }, available: true });
  // Quiet, and nothing grew since: no second release.
  for (let t = 3000; t < 60_000; t += 1000) assert.equal(await r.check(t), false);
  assert.equal(p.releases, 1);
});

test('growth must reach both the absolute and the relative threshold', async () => {
  const small = scripted(4 * MiB);
  const r1 = new HeapRelease({}, small, logger);
  small.committed = 7 * MiB; // +75 % but only 3 MiB
  assert.equal(await r1.check(0), false);
  const big = scripted(100 * MiB);
  const r2 = new HeapRelease({}, big, logger);
  big.committed = 120 * MiB; // +20 MiB but only 20 %
  assert.equal(await r2.check(0), false);
  big.committed = 126 * MiB;
  assert.equal(await r2.check(1000), true);
});

test('growth counts from the lowest reading, so a heap that shrank and grew back is released', async () => {
  const p = scripted(20 * MiB);
  const r = new HeapRelease({}, p, logger);
  p.committed = 12 * MiB; // V8 shrank it on its own (values expired)
  assert.equal(await r.check(0), false);
  p.committed = 17 * MiB; // +5 MiB, +42 % over the lowest, still below the first reading
  assert.equal(await r.check(1000), true);
});

test('releases are at least minIntervalMs apart, and a failing one is retried only then', async () => {
  const p = scripted(10 * MiB);
  const r = new HeapRelease({ minIntervalMs: 10_000 }, p, logger);
  p.committed = 20 * MiB;
  p.afterRelease = 10 * MiB;
  assert.equal(await r.check(0), true);
  p.committed = 20 * MiB;
  assert.equal(await r.check(5000), false, 'too soon');
  assert.equal(await r.check(10_000), true);
  p.committed = 20 * MiB;
  p.fail = true;
  await assert.rejects(r.check(20_000), /inspector went away/);
  assert.equal(await r.check(21_000), false, 'not retried at once');
  p.fail = false;
  assert.equal(await r.check(30_000), true);
  assert.equal(p.releases, 3);
});

test('without the inspector it says so once and stops trying', async () => {
  warnings.length = 0;
  const p = scripted(10 * MiB);
  p.available = false;
  const r = new HeapRelease({}, p, logger);
  p.committed = 20 * MiB;
  assert.equal(await r.check(0), false);
  assert.equal(await r.check(60_000), false);
  assert.equal(r.status().available, false);
  assert.equal(warnings.length, 1);
});

test('on Node itself: a burst of retained allocations, then quiet, is released and the committed heap shrinks', async () => {
  const running = startHeapRelease({ checkMs: 50, minIntervalMs: 0 }, { logger });
  try {
    // A burst that leaves garbage and survivors in the old generation, like a fill of the store.
    const kept: object[] = [];
    for (let i = 0; i < 300_000; i++) {
      const o = { i, s: `value ${i}`, b: new Array(4).fill(i) };
      if (i % 3 === 0) kept.push(o);
    }
    const deadline = Date.now() + 30_000;
    while (running.status().counters.releases === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const st = running.status();
    assert.equal(st.counters.releases, 1, 'released within 30 s of going quiet');
    assert.ok(st.last !== null && st.last.afterBytes < st.last.beforeBytes, JSON.stringify(st));
    assert.equal(kept.length, 100_000);
  } finally {
    running.stop();
  }
});
