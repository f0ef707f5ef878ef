/**
 * A key through every change of how its values are held (storage/values.ts: one value held
 * directly, several in a list, back to one, none with a subscription left), through the public
 * storage API: values and their order, counts, bytes, keys, notifications. Written for a
 * one-object-per-key representation that was measured and not kept (docs/performance-findings.md,
 * "Writes"); they hold for any representation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeValue } from '../src/codec/value.js';
import type { Value } from '../src/codec/types.js';
import { STORAGE_DEFAULTS } from '../src/storage/index.js';
import { ids, key, MINUTE, newSigner, plain, remote, setup, signed, subscriber } from './storage-helpers.js';

const SRC = { source: '192.0.2.1' };
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const cost = (...values: Value[]): number => values.reduce((n, v) => n + v.packed.length + STORAGE_DEFAULTS.valueOverheadBytes, 0);
/** Type 1 lives 5 minutes, type 0 ten. */
const short = (id: bigint, data = 's'): Value => makeValue({ id, body: { type: 1, data: new TextEncoder().encode(data) } });

describe('storage: a key going from one value to several and back', () => {
  it('1 -> 2 -> 1 -> 0 -> 1 values, in order, with counts and bytes', () => {
    const { clock, storage } = setup();
    const k = key('one-two-one');
    const a = short(1n);
    const b = plain(2n, 'b');
    const c = plain(3n, 'c');
    storage.put(k, a, SRC);
    assert.deepEqual(ids(storage.get(k)), [1n]);
    storage.put(k, b, SRC);
    assert.deepEqual(ids(storage.get(k)), [1n, 2n]);
    assert.deepEqual([storage.stats().values, storage.stats().bytes], [2, cost(a, b)]);
    // The first value expires; the second stays.
    clock.advance(5 * MINUTE);
    storage.tick();
    assert.deepEqual(ids(storage.get(k)), [2n]);
    assert.deepEqual([storage.stats().keys, storage.stats().values, storage.stats().bytes], [1, 1, cost(b)]);
    // A new value goes after the one still held, not before it.
    storage.put(k, c, SRC);
    assert.deepEqual(ids(storage.get(k)), [2n, 3n]);
    assert.deepEqual(ids(storage.getPacked(k)), [2n, 3n]);
    // Every value found again by id: refresh and identical re-put.
    assert.equal(storage.refresh(k, 2n).result, 'refreshed');
    assert.equal(storage.refresh(k, 1n).result, 'unknown-value');
    assert.deepEqual(storage.put(k, c, SRC).outcome, { result: 'refreshed' });
    clock.advance(10 * MINUTE + 1);
    storage.tick();
    assert.deepEqual([storage.stats().keys, storage.stats().values, storage.stats().bytes], [0, 0, 0]);
    // The key comes back with a single value, found by id again.
    storage.put(k, a, SRC);
    assert.deepEqual(ids(storage.get(k)), [1n]);
    assert.equal(storage.refresh(k, 1n).result, 'refreshed');
    assert.deepEqual([storage.stats().keys, storage.stats().values, storage.stats().bytes], [1, 1, cost(a)]);
  });

  it('keeps a get reply id once the key has emptied and taken another value', () => {
    const { clock, storage } = setup();
    const k = key('reply-ids');
    storage.put(k, short(7n), SRC);
    const reply = storage.getPacked(k);
    clock.advance(5 * MINUTE);
    storage.tick();
    storage.put(k, short(8n), SRC);
    assert.deepEqual(ids(reply), [7n]);
    assert.deepEqual(ids(storage.getPacked(k)), [8n]);
  });

  it('keeps an id index over more than 16 values and finds the first one again once it left', () => {
    const { clock, storage } = setup();
    const k = key('many');
    storage.put(k, short(100n), SRC);
    for (let i = 1n; i <= 20n; i++) storage.put(k, plain(i, `v${i}`), SRC);
    assert.equal(storage.get(k).length, 21);
    assert.deepEqual(storage.put(k, short(100n), SRC).outcome, { result: 'refreshed' });
    assert.deepEqual(storage.put(k, plain(17n, 'v17'), SRC).outcome, { result: 'refreshed' });
    clock.advance(5 * MINUTE);
    storage.tick();
    assert.equal(storage.refresh(k, 100n).result, 'unknown-value');
    assert.equal(storage.get(k).length, 20);
    assert.deepEqual(storage.put(k, short(100n), SRC).outcome, { result: 'stored' });
    assert.deepEqual(ids(storage.get(k)).slice(-2), [20n, 100n]);
  });
});

describe("storage: edits of a key's only value", () => {
  const alice = newSigner();

  it('edits the single value in place, moving its bytes and cost to the editor', () => {
    const { storage } = setup();
    const k = key('edit-own');
    const v1 = signed(alice, 1n, 1, 'v1');
    const v2 = signed(alice, 1n, 2, 'a longer second version');
    storage.put(k, v1, SRC);
    assert.deepEqual(storage.put(k, v2, { source: '192.0.2.77' }).outcome, { result: 'edited' });
    assert.deepEqual(storage.get(k)[0]?.packed, v2.packed);
    assert.deepEqual(ids(storage.getPacked(k)), [1n]);
    assert.deepEqual([storage.stats().values, storage.stats().bytes, storage.stats().sources], [1, cost(v2), 1]);
    // The editor's group holds it now: its quota evicts it.
    const limited = setup({ maxValuesPerSource: 1 });
    limited.storage.put(k, v1, SRC);
    limited.storage.put(k, v2, { source: '192.0.2.77' });
    limited.storage.put(key('other'), plain(5n, 'x'), { source: '192.0.2.77' });
    assert.deepEqual(ids(limited.storage.get(k)), []);
    assert.equal(limited.storage.stats().evicted, 1);
  });

  it('edits the first value while a second one is held', () => {
    const { storage } = setup();
    const k = key('edit-own-two');
    storage.put(k, signed(alice, 1n, 1, 'v1'), SRC);
    storage.put(k, plain(2n, 'other'), SRC);
    const v2 = signed(alice, 1n, 2, 'v2');
    assert.deepEqual(storage.put(k, v2, SRC).outcome, { result: 'edited' });
    assert.deepEqual(ids(storage.get(k)), [1n, 2n]);
    assert.deepEqual(storage.get(k)[0]?.packed, v2.packed);
  });
});

describe("storage: eviction of a key's first value", () => {
  it('evicts a single value, drops its key and reports it to the putter', () => {
    const { storage } = setup({ maxValuesPerSource: 1 });
    storage.put(key('first'), plain(1n, 'x'), SRC);
    assert.deepEqual(storage.put(key('second'), plain(2n, 'y'), SRC).outcome, { result: 'stored' });
    assert.deepEqual([storage.stats().keys, storage.stats().values, storage.stats().evicted], [1, 1, 1]);
    assert.deepEqual(ids(storage.get(key('first'))), []);
    // A value evicted at once (its group over its bytes with it alone) is refused, key and all.
    const tiny = setup({ maxBytesPerSource: 10 });
    assert.deepEqual(tiny.storage.put(key('k'), plain(1n, 'x'), SRC).outcome, { result: 'rejected', reason: 'storage-full' });
    assert.deepEqual([tiny.storage.stats().keys, tiny.storage.stats().values, tiny.storage.stats().bytes], [0, 0, 0]);
  });

  it('evicts the first value and keeps the key for the second one, telling listeners', () => {
    const { clock, storage } = setup({ maxValuesPerSource: 2 });
    const k = key('evict-own');
    storage.put(k, plain(1n, 'one'), SRC);
    clock.advance(1000);
    storage.put(k, plain(2n, 'two'), SRC);
    const sub = subscriber();
    storage.listen(k, sub);
    const r = storage.put(key('elsewhere'), plain(3n, 'three'), SRC);
    assert.deepEqual(r.outcome, { result: 'stored' });
    assert.deepEqual(remote(r.notifications), [{ subscriber: sub, key: k, event: { kind: 'expired', ids: [1n] } }]);
    assert.deepEqual(ids(storage.get(k)), [2n]);
    assert.equal(storage.stats().keys, 2);
  });
});

describe('storage: subscriptions on a single-value key', () => {
  it('a listen returns the single value; the value expiring keeps the key for the listener', () => {
    const { clock, storage } = setup();
    const k = key('listened');
    const v = short(1n);
    storage.put(k, v, SRC);
    const sub = subscriber();
    assert.deepEqual(ids(storage.listen(k, sub)), [1n]);
    clock.advance(5 * MINUTE);
    const notes = storage.tick();
    assert.deepEqual(remote(notes), [{ subscriber: sub, key: k, event: { kind: 'expired', ids: [1n] } }]);
    assert.deepEqual([storage.stats().keys, storage.stats().values, storage.stats().listeners], [1, 0, 1]);
    // The key, now held only by its listener, takes a value again and tells the listener.
    const w = plain(2n, 'again');
    const r = storage.put(k, w, SRC);
    assert.deepEqual(remote(r.notifications), [{ subscriber: sub, key: k, event: { kind: 'values', values: [w] } }]);
    assert.deepEqual(ids(storage.get(k)), [2n]);
    assert.ok(storage.unlisten(k, sub.node, sub.socketId));
    assert.deepEqual([storage.stats().keys, storage.stats().values, storage.stats().listeners], [1, 1, 0]);
    clock.advance(10 * MINUTE);
    storage.tick();
    assert.equal(storage.stats().keys, 0);
  });

  it('a key created by a listen takes values', () => {
    const { storage } = setup();
    const k = key('listen-first');
    const sub = subscriber();
    assert.deepEqual(storage.listen(k, sub), []);
    storage.put(k, plain(1n, 'x'), SRC);
    storage.put(k, plain(2n, 'y'), SRC);
    assert.deepEqual(ids(storage.get(k)), [1n, 2n]);
    assert.ok(storage.unlisten(k, sub.node, sub.socketId));
    assert.equal(storage.stats().keys, 1);
  });
});

describe('storage: keys of other lengths than 20 bytes (local callers)', () => {
  it('keeps short, long and 20-byte keys that share their first bytes apart', () => {
    // The listener outlives the values.
    const { clock, storage } = setup({ listenerLifetimeMs: 60 * 60_000 });
    const base = key('shared');
    const long = Uint8Array.from([...base, 1, 2]);
    const short = base.slice(0, 5);
    const padded = Uint8Array.from([...short, 0, 0]);
    storage.put(base, plain(1n, 'twenty'), { source: '192.0.2.1' });
    storage.put(long, plain(2n, 'twenty-two'), { source: '192.0.2.1' });
    storage.put(short, plain(3n, 'five'), { source: '192.0.2.1' });
    const sub = subscriber();
    storage.listen(padded, sub);
    storage.put(padded, plain(4n, 'seven'), { source: '192.0.2.1' });
    assert.deepEqual([ids(storage.get(base)), ids(storage.get(long)), ids(storage.get(short)), ids(storage.get(padded))], [[1n], [2n], [3n], [4n]]);
    assert.equal(storage.stats().keys, 4);
    clock.advance(10 * 60_000);
    const notes = remote(storage.tick());
    assert.deepEqual(
      notes.map((n) => [hex(n.key), n.event]),
      [[hex(padded), { kind: 'expired', ids: [4n] }]],
    );
    assert.equal(storage.stats().keys, 1);
  });
});
