/**
 * Guards the memory layout: a stored 64-byte value must stay below what OpenDHT's dhtnode uses
 * (≈ 840 B of RSS per value, a figure of the real program, not of our runtime). Measures V8 heap
 * and off-heap growth after full GCs, which, unlike RSS, does not depend on how far the young
 * generation happened to grow.
 *
 * Object and buffer overheads change between Node versions, so the other bounds are not bytes
 * measured once on one version: they compare the storage with a baseline measured in the same
 * run (a straightforward store: each value's packed bytes in its own Uint8Array beside its id and
 * expiry, in a Map by key), and the byte accounting (`valueOverheadBytes`) with the measured cost as a
 * ratio. The storage keeps values packed, so it must stay under the naive baseline (≈ 0.7 of it
 * on Node 20).
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
  const values = Array.from({ length: count }, () => makeValue({ id: randomBytes(8).readBigUInt64BE() | 1n, body: { type: 0, data: randomBytes(64) } }));
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

/** Per-value memory of a straightforward store: packed bytes, id and expiry per value, by key. */
function baseline(count: number, keyFor: (i: number) => Uint8Array): number {
  const values = Array.from({ length: count }, () => makeValue({ id: randomBytes(8).readBigUInt64BE() | 1n, body: { type: 0, data: randomBytes(64) } }));
  const keys = Array.from({ length: count }, (_, i) => Buffer.from(keyFor(i)).toString('latin1'));
  const map = new Map<string, Array<{ packed: Uint8Array; id: bigint; expires: number }>>();
  const before = used();
  for (let i = 0; i < count; i++) {
    const list = map.get(keys[i]!) ?? [];
    list.push({ packed: Uint8Array.from(values[i]!.packed), id: values[i]!.id, expires: i });
    map.set(keys[i]!, list);
  }
  const after = used();
  // Keep the inputs and the map alive until here, as `measure` does.
  assert.equal(values.length + keys.length, 2 * count);
  assert.equal(
    [...map.values()].reduce((n, list) => n + list.length, 0),
    count,
  );
  return (after - before) / count;
}

/** dhtnode (OpenDHT 2.4) RSS per stored 64-byte value. */
const DHTNODE_BYTES_PER_VALUE = 840;

describe('storage: memory per stored value', () => {
  const hash = (s: string) => Uint8Array.from(createHash('sha1').update(s).digest());

  it('one 64-byte value under each of 20 000 keys', (t) => {
    const keyFor = (i: number) => hash(`key${i}`);
    const { perValue, packed } = measure(20_000, keyFor);
    const base = baseline(20_000, keyFor);
    const estimate = packed + STORAGE_DEFAULTS.valueOverheadBytes;
    t.diagnostic(`${perValue.toFixed(0)} B per value (${packed} B packed, baseline ${base.toFixed(0)} B, accounted ${estimate} B, Node ${process.version})`);
    assert.ok(perValue < DHTNODE_BYTES_PER_VALUE, `${perValue.toFixed(0)} B per value`);
    assert.ok(perValue < base, `${perValue.toFixed(0)} B per value vs ${base.toFixed(0)} B for the baseline`);
    // The estimate used for the byte limits stays close to the real cost: never far under it
    // (the limits would let memory grow past them), nor far over it (they would refuse early).
    const ratio = perValue / estimate;
    assert.ok(ratio > 0.7 && ratio < 1.25, `measured ${perValue.toFixed(0)} B vs accounted ${estimate} B`);
  });

  it('20 000 64-byte values under one key', (t) => {
    const k = hash('one key');
    const { perValue } = measure(20_000, () => k);
    const base = baseline(20_000, () => k);
    t.diagnostic(`${perValue.toFixed(0)} B per value (baseline ${base.toFixed(0)} B)`);
    assert.ok(perValue < base, `${perValue.toFixed(0)} B per value vs ${base.toFixed(0)} B for the baseline`);
  });
});
