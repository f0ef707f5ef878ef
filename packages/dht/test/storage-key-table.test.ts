/** The store's key table (open addressing by the key's bytes) against a Map as the model. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyTable, keyHash } from '../src/storage/key-table.js';
import { KeyEntry } from '../src/storage/values.js';
import { ids, key, plain, remote, setup, subscriber } from './storage-helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('storage key table', () => {
  it('adds, finds and deletes like a Map, through growth, shrinking and long runs', () => {
    // Keys drawn from a small pool, some differing only past byte 20 or in length, so that adds
    // and deletes meet in the same runs of slots.
    const pool = fc.oneof(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.integer({ min: 0, max: 40 }).map((i) => Uint8Array.from({ length: 20 }, (_, j) => (j === 19 ? i : 7))),
      fc.uint8Array({ minLength: 0, maxLength: 24 }),
    );
    const op = fc.record({ kind: fc.constantFrom('add', 'delete', 'get'), key: pool });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer(), fc.integer(), (ops, k0, k1) => {
        const table = new KeyTable(k0 | 0, k1 | 0);
        const model = new Map<string, KeyEntry>();
        for (const { kind, key: k } of ops) {
          const name = hex(k);
          if (kind === 'add' && !model.has(name)) {
            const e = new KeyEntry(k);
            table.add(e);
            model.set(name, e);
          } else if (kind === 'delete') {
            const e = model.get(name) ?? new KeyEntry(k);
            assert.equal(table.delete(e), model.has(name));
            model.delete(name);
          }
          assert.equal(table.get(k), model.get(name));
          assert.equal(table.size, model.size);
        }
        for (const [name, e] of model) {
          assert.equal(table.get(Buffer.from(name, 'hex')), e);
          assert.equal(hex(e.key()), name);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('finds every one of 5 000 keys after adding them and again after deleting most', () => {
    const table = new KeyTable(0x12345678, -1);
    const entries = Array.from({ length: 5000 }, (_, i) => new KeyEntry(key(`k${i}`)));
    for (const e of entries) table.add(e);
    for (let i = 0; i < 5000; i++) assert.equal(table.get(key(`k${i}`)), entries[i]);
    for (let i = 0; i < 4900; i++) assert.ok(table.delete(entries[i]!));
    assert.ok(!table.delete(entries[0]!));
    assert.equal(table.size, 100);
    for (let i = 0; i < 5000; i++) assert.equal(table.get(key(`k${i}`)), i < 4900 ? undefined : entries[i]);
  });

  it('hashes under a secret: another secret, another hash; never 0', () => {
    const words = [1, 2, 3, 4, 5] as const;
    assert.notEqual(keyHash(1, 2, ...words, 20), keyHash(1, 3, ...words, 20));
    assert.notEqual(keyHash(1, 2, ...words, 20), keyHash(1, 2, ...words, 21));
    fc.assert(fc.property(fc.array(fc.integer(), { minLength: 7, maxLength: 7 }), (w) => keyHash(w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!, w[6]!, 20) !== 0));
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
