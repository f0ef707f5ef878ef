/**
 * Guards the memory layout: a stored 64-byte value must stay far below what OpenDHT's dhtnode
 * uses (≈ 840 B of RSS per value). Measures V8 heap and off-heap growth after full GCs, which,
 * unlike RSS, does not depend on how far the young generation happened to grow.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHash, randomBytes } from 'node:crypto';
import { makeValue } from '../src/codec/value.js';
import { createStorage, STORAGE_DEFAULTS } from '../src/storage/index.js';
import { testClock } from './storage-helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function used(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers + m.external;
}

function measure(count: number, keyFor: (i: number) => Uint8Array): { perValue: number; packed: number } {
  const storage = createStorage({}, { clock: testClock() });
  // Inputs are built first so that only what the storage keeps is measured.
  const values = Array.from({ length: count }, () =>
    makeValue({ id: randomBytes(8).readBigUInt64BE() | 1n, body: { type: 0, data: randomBytes(64) } }),
  );
  const keys = Array.from({ length: count }, (_, i) => keyFor(i));
  const packed = values.reduce((n, v) => n + v.packed.length, 0) / count;
  const before = used();
  for (let i = 0; i < count; i++) {
    assert.equal(storage.put(keys[i]!, values[i]!, { source: `10.0.${i % 250}.1` }).outcome.result, 'stored');
  }
  const after = used();
  assert.equal(storage.stats().values, count);
  // Keep the inputs alive until here, or their release would be counted against the storage.
  assert.equal(values.length + keys.length, 2 * count);
  return { perValue: (after - before) / count, packed };
}

describe('storage: memory per stored value', () => {
  const hash = (s: string) => Uint8Array.from(createHash('sha1').update(s).digest());

  it('one 64-byte value under each of 20 000 keys', (t) => {
    const { perValue, packed } = measure(20_000, (i) => hash(`key${i}`));
    t.diagnostic(`${perValue.toFixed(0)} B per value (${packed} B packed)`);
    assert.ok(perValue < 600, `${perValue.toFixed(0)} B per value`);
    // The estimate used for the byte limits stays close to the real cost.
    assert.ok(Math.abs(perValue - (packed + STORAGE_DEFAULTS.valueOverheadBytes)) < 150, `${perValue.toFixed(0)} B vs estimate`);
  });

  it('20 000 64-byte values under one key', (t) => {
    const k = hash('one key');
    const { perValue } = measure(20_000, () => k);
    t.diagnostic(`${perValue.toFixed(0)} B per value`);
    assert.ok(perValue < 450, `${perValue.toFixed(0)} B per value`);
  });
});
