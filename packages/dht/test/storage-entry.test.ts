/**
 * A key's first value lives in its entry's own fields (see storage/values.ts); later values are
 * records beside it. These tests walk a key through every change of that representation, through
 * the public storage API, and check what each step is visible as: values and their order,
 * counts, bytes, keys, notifications.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeValue } from '../src/codec/value.js';
import type { Value } from '../src/codec/types.js';
import { STORAGE_DEFAULTS } from '../src/storage/index.js';
import { KeyEntry, StoredValue } from '../src/storage/values.js';
import { SourceGroup } from '../src/storage/quotas.js';
import { ids, key, MINUTE, newSigner, plain, remote, setup, signed, subscriber } from './storage-helpers.js';

const SRC = { source: '192.0.2.1' };
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
    // The first value (held in the entry itself) expires; the second stays.
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

  it('keeps an id index over more than 16 values, the entry own value included, and drops to one', () => {
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

describe('storage: edits of a key own value', () => {
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

  it('edits the entry own value while a second value is held', () => {
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

describe('storage: eviction of a key own value', () => {
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

  it('evicts the entry own value and keeps the key for the second one, telling listeners', () => {
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

  it('a key created by a listen stores its first value in the entry', () => {
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

describe('storage values: an entry own value', () => {
  it('is held in the entry, listed first, and leaves without unlinking a record', () => {
    const e = new KeyEntry('k');
    const g = new SourceGroup('g');
    const packed = (id: bigint) => Buffer.from(plain(id, 'x').packed).toString('latin1');
    const own = e.store(packed(1n), 0, 0, g);
    assert.equal(own, e);
    assert.ok(e.holdsOwn);
    const second = e.store(packed(2n), 0, 0, g);
    assert.ok(second instanceof StoredValue && second !== e);
    assert.deepEqual([e.count, e.list(), e.find(1n), e.find(2n)], [2, [e, second], e, second]);
    e.remove(e);
    e.entry = undefined;
    e.releaseOwn();
    assert.deepEqual([e.count, e.list(), e.first(), e.find(1n), e.packed], [1, [second], second, undefined, '']);
    // With a record held, the next value goes after it.
    const third = e.store(packed(3n), 0, 0, g);
    assert.notEqual(third, e);
    assert.deepEqual(e.list(), [second, third]);
  });
});
