import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeValue } from '../src/codec/value.js';
import { Field, type Query, type Value } from '../src/codec/types.js';
import type { StorageEvent } from '../src/storage/index.js';
import { delivery, ids, key, listenersOn, MINUTE, plain, remote, setup, subscriber } from './storage-helpers.js';

const SRC = { source: '192.0.2.1' };
const textOnly: Query = { select: [], where: [{ field: Field.userType, value: new TextEncoder().encode('text/plain') }] };

function typed(id: bigint, type: number): Value {
  return makeValue({ id, body: { type, data: new Uint8Array([1, 2, 3]) } });
}

describe('storage: remote listeners', () => {
  it('a new subscription gets the current matching values, a refresh gets nothing', () => {
    const { storage } = setup();
    const k = key('l');
    storage.put(k, plain(1n, 'a', { userType: 'text/plain' }), SRC);
    storage.put(k, plain(2n, 'b'), SRC);
    const sub = subscriber(7, textOnly);
    assert.deepEqual(ids(storage.listen(k, sub)), [1n]);
    assert.deepEqual(storage.listen(k, { ...sub }), []);
    assert.equal(storage.stats().listeners, 1);
    assert.deepEqual(ids(storage.listen(k, subscriber(7))), [1n, 2n], 'another node, same sid: a new subscription');
    assert.deepEqual(ids(storage.listen(k, { ...sub, socketId: 8, query: undefined })), [1n, 2n], 'same node, other sid');
    assert.equal(storage.stats().listeners, 3);
  });

  it('ids that share a slot or most of their bytes are told apart by every byte', () => {
    const { storage } = setup();
    const k = key('alike');
    // Same first 4 bytes (same slot for the same sid); then differing in one byte of each word.
    const base = new Uint8Array(20).fill(0x5a);
    const alike = [base, ...[4, 9, 14, 19].map((at) => Uint8Array.from(base, (b, i) => (i === at ? b ^ 1 : b)))];
    for (const node of alike) storage.listen(k, subscriber(3, undefined, node));
    assert.equal(storage.stats().listeners, alike.length, 'five subscriptions, not refreshes of one');
    for (const [i, node] of alike.entries()) storage.listen(k, { ...subscriber(3, undefined, node), address: `192.0.2.${100 + i}` });
    assert.equal(storage.stats().listeners, alike.length, 'each refresh found its own subscription');
    const told = remote(storage.put(k, plain(1n, 'x'), SRC).notifications).map((n) => n.subscriber.address);
    assert.deepEqual(told.sort(), alike.map((_, i) => `192.0.2.${100 + i}`).sort());
    // An id of another length (never from a datagram, but the storage API takes any) still works.
    const short = new Uint8Array(8).fill(0x5a);
    storage.listen(k, subscriber(3, undefined, short));
    storage.listen(k, subscriber(3, undefined, short.slice()));
    assert.equal(storage.stats().listeners, alike.length + 1);
  });

  it('a refresh (same node and sid) replaces the query and the address', () => {
    const { storage } = setup();
    const k = key('requery');
    const sub = subscriber(4, textOnly);
    storage.listen(k, sub);
    storage.listen(k, { ...sub, query: undefined, address: '192.0.2.99' });
    const out = remote(storage.put(k, plain(1n, 'untyped'), SRC).notifications);
    assert.equal(out.length, 1, 'the new query (none) lets an untyped value through');
    assert.equal(out[0]!.subscriber.address, '192.0.2.99');
    assert.equal(storage.stats().listeners, 1);
  });

  it('notifies stored values to subscribers whose WHERE matches', () => {
    const { storage } = setup();
    const k = key('w');
    const text = subscriber(1, textOnly);
    const all = subscriber(2);
    const type3 = subscriber(3, { select: [], where: [{ field: Field.valueType, value: 3 }] });
    storage.listen(k, text);
    storage.listen(k, all);
    storage.listen(k, type3);
    const v1 = plain(1n, 'x', { userType: 'text/plain' });
    assert.deepEqual(
      remote(storage.put(k, v1, SRC).notifications).map((n) => n.subscriber.socketId),
      [1, 2],
    );
    const v2 = typed(2n, 3);
    const notes = remote(storage.put(k, v2, SRC).notifications);
    assert.deepEqual(
      notes.map((n) => n.subscriber.socketId),
      [2, 3],
    );
    assert.deepEqual(notes[0]?.event, { kind: 'values', values: [v2] });
    assert.deepEqual(notes[0]?.key, k);
    // Other keys are not told.
    assert.deepEqual(storage.put(key('other'), typed(3n, 3), SRC).notifications, []);
  });

  it('a re-listen replaces the query and the subscriber’s address and version', () => {
    const { storage } = setup();
    const k = key('replace');
    const sub = subscriber(1, textOnly);
    storage.listen(k, sub);
    storage.listen(k, { ...sub, query: undefined, address: '192.0.2.77', version: 0 });
    const [n] = remote(storage.put(k, plain(1n, 'no utype'), SRC).notifications);
    assert.equal(n?.subscriber.address, '192.0.2.77');
    assert.equal(n?.subscriber.version, 0);
  });

  it('tells every subscriber of refreshed and expired ids, whatever its WHERE', () => {
    const { clock, storage } = setup();
    const k = key('re');
    storage.put(k, plain(1n, 'x'), SRC);
    storage.put(k, typed(2n, 5), SRC);
    const narrow = subscriber(1, { select: [], where: [{ field: Field.id, value: 99n }] });
    storage.listen(k, narrow);
    assert.deepEqual(storage.refresh(k, 1n).notifications, [{ subscriber: narrow, key: k, event: { kind: 'refreshed', ids: [1n] } }]);
    clock.advance(MINUTE);
    assert.deepEqual(storage.tick(), [{ subscriber: narrow, key: k, event: { kind: 'expired', ids: [2n] } }]);
  });

  it('batches the ids that expire together on one key', () => {
    const { clock, storage } = setup();
    const k = key('batch');
    for (let i = 1n; i <= 3n; i++) storage.put(k, typed(i, 5), SRC);
    const sub = subscriber();
    storage.listen(k, sub);
    clock.advance(MINUTE);
    const notes = storage.tick();
    assert.equal(notes.length, 1);
    const event = notes[0]?.event;
    assert.equal(event?.kind, 'expired');
    assert.deepEqual(event.kind === 'expired' && event.ids.sort(), [1n, 2n, 3n]);
  });

  it('drops a subscription 10 minutes after its last refresh', () => {
    const { clock, storage } = setup();
    const k = key('expire');
    const sub = subscriber();
    storage.listen(k, sub);
    clock.advance(6 * MINUTE);
    storage.listen(k, sub);
    clock.advance(10 * MINUTE - 1);
    storage.tick();
    assert.equal(storage.stats().listeners, 1);
    clock.advance(1);
    storage.tick();
    assert.equal(storage.stats().listeners, 0);
    assert.equal(storage.stats().listenersExpired, 1);
    assert.equal(storage.stats().keys, 0, 'a key kept only by the subscription goes with it');
    assert.deepEqual(storage.put(k, plain(1n, 'late'), SRC).notifications, []);
  });

  it('unlisten removes exactly one subscription', () => {
    const { storage } = setup();
    const k = key('un');
    const a = subscriber(1);
    const b = subscriber(2, undefined, a.node);
    storage.listen(k, a);
    storage.listen(k, b);
    assert.equal(storage.unlisten(k, a.node, 1), true);
    assert.equal(storage.unlisten(k, a.node, 1), false);
    assert.deepEqual(
      remote(storage.put(k, plain(1n, 'x'), SRC).notifications).map((n) => n.subscriber.socketId),
      [2],
    );
    assert.equal(storage.stats().listeners, 1);
  });

  it('bounds subscriptions in total and per key', () => {
    const { storage } = setup({ maxListeners: 3, maxListenersPerKey: 2 });
    storage.put(key('a'), plain(1n, 'x'), SRC);
    assert.equal(storage.listen(key('a'), subscriber()).length, 1);
    storage.listen(key('a'), subscriber());
    assert.deepEqual(storage.listen(key('a'), subscriber()), []);
    storage.listen(key('b'), subscriber());
    storage.listen(key('c'), subscriber());
    assert.equal(storage.stats().listeners, 3);
    assert.deepEqual(storage.stats().rejected, { 'key-listeners-full': 1, 'too-many-listeners': 1 });
    assert.equal(storage.stats().keys, 2, 'a refused listen leaves no empty key behind');
  });

  it('one address cannot take every subscription slot of a key, nor of the node', () => {
    const { clock, storage } = setup({ maxListeners: 100, maxListenersPerKey: 50, maxListenersPerAddress: 40, maxListenersPerKeyPerAddress: 4 });
    const k = key('popular');
    const hog = (sid: number, kk = k) => storage.listen(kk, { ...subscriber(sid), address: '192.0.2.66' });
    for (let sid = 1; sid <= 60; sid++) hog(sid);
    assert.equal(listenersOn(storage, k), 4);
    const other = { ...subscriber(1), address: '192.0.2.77' };
    storage.put(k, plain(1n, 'x'), SRC);
    assert.equal(storage.listen(k, other).length, 2, 'another address still subscribes (and gets the probe value too)');
    assert.equal(listenersOn(storage, k), 5);
    // A refresh of an existing subscription is never refused.
    assert.deepEqual(hog(1), []);
    assert.equal(listenersOn(storage, k), 5);
    for (let i = 0; i < 20; i++) for (let sid = 1; sid <= 4; sid++) hog(sid, key(`k${i}`));
    assert.equal(storage.stats().listeners, 41, '40 for the hog, 1 for the other address');
    assert.equal(storage.listen(key('k99'), { ...subscriber(1), address: '192.0.2.78' }).length, 0);
    assert.equal(storage.stats().listeners, 42);
    assert.ok(storage.stats().rejected['address-listeners-full']! > 0);
    assert.ok(storage.stats().rejected['key-address-listeners-full']! > 0);
    // Expired subscriptions free the address's slots.
    clock.advance(11 * MINUTE);
    storage.tick();
    assert.equal(storage.stats().listeners, 0);
    assert.equal(hog(1, key('fresh')).length, 0);
    assert.equal(storage.stats().listeners, 1);
  });
});

describe('storage: local listeners', () => {
  it('get current values at once, then values, refreshed and expired events', () => {
    const { clock, storage } = setup();
    const k = key('local');
    storage.put(k, plain(1n, 'a', { userType: 'text/plain' }), SRC);
    storage.put(k, plain(2n, 'b'), SRC);
    const events: StorageEvent[] = [];
    const { deliver } = delivery();
    const local = storage.listenLocal(k, textOnly, (e) => events.push(e));
    assert.equal(events.length, 0, 'storage calls no listener itself');
    deliver(local.notifications);
    assert.deepEqual(
      events.map((e) => (e.kind === 'values' ? ids(e.values) : e.ids)),
      [[1n]],
    );
    const v3 = plain(3n, 'c', { userType: 'text/plain' });
    deliver(storage.put(k, v3, SRC).notifications);
    deliver(storage.put(k, plain(4n, 'd'), SRC).notifications);
    clock.advance(5 * MINUTE);
    deliver(storage.refresh(k, 1n).notifications);
    clock.advance(5 * MINUTE);
    deliver(storage.tick());
    for (const e of events) if (e.kind === 'expired') e.ids.sort();
    assert.deepEqual(events.slice(1), [
      { kind: 'values', values: [v3] },
      { kind: 'refreshed', ids: [1n] },
      { kind: 'expired', ids: [2n, 3n, 4n] },
    ]);
    assert.equal(storage.stats().localListeners, 1);
    local.cancel();
    local.cancel();
    assert.equal(storage.stats().localListeners, 0);
    deliver(storage.put(k, plain(5n, 'e', { userType: 'text/plain' }), SRC).notifications);
    assert.equal(events.length, 4);
  });

  it('delivery counts a throwing callback and keeps going, remote notifications in the same pass', () => {
    const { storage } = setup();
    const k = key('throws');
    const seen: bigint[] = [];
    const { deliver, sent, errors } = delivery();
    storage.listenLocal(k, undefined, () => {
      throw new Error('boom');
    });
    storage.listenLocal(k, undefined, (e) => {
      if (e.kind === 'values') seen.push(...ids(e.values));
    });
    storage.listen(k, subscriber(9));
    const put = storage.put(k, plain(1n, 'x'), SRC);
    assert.deepEqual(put.outcome, { result: 'stored' });
    deliver(put.notifications);
    assert.deepEqual(seen, [1n]);
    assert.equal(errors.length, 1);
    assert.equal(remote(sent).length, 1, 'the remote listener is handed on');
  });

  it('may call back into the storage from a callback', () => {
    const { storage } = setup();
    const k = key('reentrant');
    const mirror = key('mirror');
    const { deliver } = delivery();
    storage.listenLocal(k, undefined, (e) => {
      if (e.kind === 'values') for (const v of e.values) deliver(storage.put(mirror, v, { source: 'local' }).notifications);
    });
    deliver(storage.put(k, plain(1n, 'x'), SRC).notifications);
    assert.deepEqual(ids(storage.get(mirror)), [1n]);
  });
});
