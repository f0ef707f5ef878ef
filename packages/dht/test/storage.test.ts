import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeValue, decodeValue } from '../src/codec/value.js';
import { Field, type Value } from '../src/codec/types.js';
import { LOCAL_SOURCE, STORAGE_DEFAULTS } from '../src/storage/index.js';
import { CERT_24, CERT_43, SIGNED_24, SIGNED_43 } from './storage-vectors.js';
import { ids, key, MINUTE, newSigner, plain, setup, signed, subscriber } from './storage-helpers.js';

const SRC = { source: '192.0.2.1' };
const DAY = 24 * 60 * MINUTE;

function typed(id: bigint, type: number, data = 'x'): Value {
  return makeValue({ id, body: { type, data: new TextEncoder().encode(data) } });
}

function vector(v: { key: string; packed: string }): { k: Uint8Array; value: Value } {
  const r = decodeValue(Uint8Array.from(Buffer.from(v.packed, 'hex')));
  assert.ok(r.ok);
  return { k: Uint8Array.from(Buffer.from(v.key, 'hex')), value: r.value };
}

describe('storage: expiration per value type', () => {
  const table: Array<[number, number]> = [
    [0, 10 * MINUTE],
    [1, 5 * MINUTE],
    [2, 15 * MINUTE],
    [3, 5 * MINUTE],
    [4, 7 * DAY],
    [5, 1 * MINUTE],
    [9, 10 * MINUTE],
    [777, 10 * MINUTE],
  ];
  for (const [type, lifetime] of table) {
    it(`type ${type} lives ${lifetime / MINUTE} min and its expiry is notified`, () => {
      // The subscription must outlive the value for this test.
      const { clock, storage } = setup({ listenerLifetimeMs: 8 * DAY });
      const k = key(`type-${type}`);
      assert.deepEqual(storage.put(k, typed(5n, type), SRC).outcome, { result: 'stored' });
      const sub = subscriber();
      storage.listen(k, sub);
      clock.advance(lifetime - 1);
      assert.deepEqual(storage.tick(), []);
      assert.equal(storage.get(k).length, 1);
      clock.advance(1);
      const notes = storage.tick();
      assert.equal(storage.get(k).length, 0);
      assert.deepEqual(notes, [{ subscriber: sub, key: k, event: { kind: 'expired', ids: [5n] } }]);
      assert.equal(storage.stats().expired, 1);
      assert.equal(storage.stats().values, 0);
    });
  }

  it('counts lifetime from min(created, now) and refuses values already expired', () => {
    const { clock, storage } = setup();
    const k = key('created');
    const now = clock.now();
    storage.put(k, plain(1n, 'past'), { source: SRC.source, createdMs: now - 9 * MINUTE });
    storage.put(k, plain(2n, 'future'), { source: SRC.source, createdMs: now + 60 * MINUTE });
    assert.deepEqual(storage.put(k, plain(3n, 'dead'), { source: SRC.source, createdMs: now - 10 * MINUTE }).outcome, {
      result: 'rejected',
      reason: 'expired',
    });
    clock.advance(MINUTE);
    storage.tick();
    assert.deepEqual(ids(storage.get(k)), [2n]);
    clock.advance(9 * MINUTE);
    storage.tick();
    assert.deepEqual(ids(storage.get(k)), []);
    assert.equal(storage.stats().rejected['expired'], 1);
  });

  it('expires values on time across the weekly re-basing of stored expirations', () => {
    const { clock, storage } = setup();
    const DAY_MS = 24 * 60 * MINUTE;
    // Stored one minute before the re-basing point, still held right after it, gone at its lifetime.
    clock.advance(7 * DAY_MS - MINUTE);
    storage.put(key('before'), plain(1n, 'before'), SRC);
    storage.put(key('refreshed'), plain(2n, 'refreshed'), SRC);
    clock.advance(2 * MINUTE);
    storage.tick();
    assert.equal(storage.get(key('before')).length, 1);
    // A refresh after the re-basing extends from the shifted offsets.
    assert.equal(storage.refresh(key('refreshed'), 2n).result, 'refreshed');
    clock.advance(8 * MINUTE - 1);
    storage.tick();
    assert.equal(storage.get(key('before')).length, 1);
    clock.advance(1);
    storage.tick();
    assert.equal(storage.get(key('before')).length, 0);
    assert.equal(storage.get(key('refreshed')).length, 1);
    clock.advance(2 * MINUTE - 1);
    storage.tick();
    assert.equal(storage.get(key('refreshed')).length, 1);
    clock.advance(1);
    storage.tick();
    assert.equal(storage.get(key('refreshed')).length, 0);
    // Weeks later (several re-basings), a new value keeps its full lifetime.
    for (let i = 0; i < 5; i++) {
      clock.advance(7 * DAY_MS);
      storage.tick();
    }
    storage.put(key('later'), plain(3n, 'later'), SRC);
    clock.advance(10 * MINUTE - 1);
    storage.tick();
    assert.equal(storage.get(key('later')).length, 1);
    clock.advance(1);
    storage.tick();
    assert.equal(storage.get(key('later')).length, 0);
  });

  it('drops a key once its last value expires', () => {
    const { clock, storage } = setup();
    storage.put(key('a'), typed(1n, 5), SRC);
    storage.put(key('b'), typed(1n, 0), SRC);
    assert.equal(storage.stats().keys, 2);
    clock.advance(MINUTE);
    storage.tick();
    assert.equal(storage.stats().keys, 1);
    assert.equal(storage.get(key('a')).length, 0);
    assert.equal(storage.get(key('b')).length, 1);
  });
});

describe('storage: refresh and identical re-put', () => {
  it('refresh extends to now + lifetime and notifies refreshed', () => {
    const { clock, storage } = setup();
    const k = key('refresh');
    storage.put(k, plain(7n, 'v'), SRC);
    const sub = subscriber();
    storage.listen(k, sub);
    clock.advance(8 * MINUTE);
    const r = storage.refresh(k, 7n);
    assert.equal(r.result, 'refreshed');
    assert.deepEqual(r.notifications, [{ subscriber: sub, key: k, event: { kind: 'refreshed', ids: [7n] } }]);
    clock.advance(10 * MINUTE - 1);
    storage.tick();
    assert.equal(storage.get(k).length, 1);
    clock.advance(1);
    storage.tick();
    assert.equal(storage.get(k).length, 0);
  });

  it('refresh never shortens a lifetime', () => {
    const { clock, storage } = setup();
    const k = key('long');
    storage.put(k, typed(1n, 4), SRC); // 7 days
    storage.refresh(k, 1n); // now + 7 days: same
    clock.advance(7 * DAY - 1);
    storage.tick();
    assert.equal(storage.get(k).length, 1);
  });

  it('reports unknown values and missing storage', () => {
    const { storage } = setup();
    const k = key('r');
    assert.equal(storage.refresh(k, 1n).result, 'no-storage');
    storage.put(k, plain(1n, 'v'), SRC);
    assert.deepEqual(storage.refresh(k, 2n), { result: 'unknown-value', notifications: [] });
    // A key with only a subscription is storage too (OpenDHT answers such a refresh, no 404).
    const k2 = key('listened');
    storage.listen(k2, subscriber());
    assert.equal(storage.refresh(k2, 1n).result, 'unknown-value');
  });

  it('an identical re-put is a refresh, even with another priority', () => {
    const { clock, storage } = setup();
    const k = key('same');
    const v = plain(3n, 'same');
    storage.put(k, v, SRC);
    const sub = subscriber();
    storage.listen(k, sub);
    clock.advance(9 * MINUTE);
    const again = makeValue({ id: 3n, body: v.body!, priority: 1 });
    const r = storage.put(k, again, { source: '192.0.2.99' });
    assert.deepEqual(r.outcome, { result: 'refreshed' });
    assert.deepEqual(r.notifications, [{ subscriber: sub, key: k, event: { kind: 'refreshed', ids: [3n] } }]);
    clock.advance(2 * MINUTE);
    storage.tick();
    const [kept] = storage.get(k);
    assert.deepEqual(kept?.packed, v.packed, 'the first bytes are kept');
  });
});

describe('storage: edit policy', () => {
  const alice = newSigner();
  const bob = newSigner();

  it('never edits an unsigned value', () => {
    const { storage } = setup();
    const k = key('unsigned');
    storage.put(k, plain(1n, 'first'), SRC);
    assert.deepEqual(storage.put(k, plain(1n, 'second'), SRC).outcome, { result: 'rejected', reason: 'not-editable' });
    assert.equal(new TextDecoder().decode(storage.get(k)[0]?.body?.data), 'first');
  });

  it('lets the owner replace a signed value with a higher seq and tells listeners', () => {
    const { clock, storage } = setup();
    const k = key('signed');
    assert.deepEqual(storage.put(k, signed(alice, 1n, 1, 'v1'), SRC).outcome, { result: 'stored' });
    const sub = subscriber();
    storage.listen(k, sub);
    clock.advance(9 * MINUTE);
    const v2 = signed(alice, 1n, 2, 'v2');
    const r = storage.put(k, v2, { source: '192.0.2.50' });
    assert.deepEqual(r.outcome, { result: 'edited' });
    assert.deepEqual(r.notifications, [{ subscriber: sub, key: k, event: { kind: 'values', values: [v2] } }]);
    assert.deepEqual(storage.get(k)[0]?.packed, v2.packed);
    // The edit restarts the lifetime.
    clock.advance(9 * MINUTE);
    storage.tick();
    assert.equal(storage.get(k).length, 1);
    assert.equal(storage.stats().values, 1);
    assert.equal(storage.stats().sources, 1, 'the cost moved to the editor');
  });

  it('refuses lower seq, same seq with other content, other owners, unsigned and bad signatures', () => {
    const { storage } = setup();
    const k = key('signed-refusals');
    storage.put(k, signed(alice, 1n, 5, 'v5'), SRC);
    const refuse = (v: Value) => storage.put(k, v, SRC).outcome;
    assert.deepEqual(refuse(signed(alice, 1n, 4, 'v4')), { result: 'rejected', reason: 'old-seq' });
    assert.deepEqual(refuse(signed(alice, 1n, 5, 'other')), { result: 'rejected', reason: 'old-seq' });
    assert.deepEqual(refuse(signed(bob, 1n, 6, 'v6')), { result: 'rejected', reason: 'wrong-owner' });
    assert.deepEqual(refuse(plain(1n, 'unsigned')), { result: 'rejected', reason: 'wrong-owner' });
    const forged = signed(alice, 1n, 6, 'v6');
    const tampered = makeValue({ id: 1n, body: { ...forged.body!, data: new TextEncoder().encode('v7') }, signature: forged.signature! });
    assert.deepEqual(refuse(tampered), { result: 'rejected', reason: 'bad-signature' });
    assert.equal(new TextDecoder().decode(storage.get(k)[0]?.body?.data), 'v5');
    assert.deepEqual(storage.stats().rejected, { 'old-seq': 2, 'wrong-owner': 2, 'bad-signature': 1 });
  });

  it('refuses to store a signed value whose signature does not verify', () => {
    const { storage } = setup();
    const good = signed(alice, 9n, 0, 'hello');
    const bad = makeValue({ id: 9n, body: { ...good.body!, owner: bob.spki }, signature: good.signature! });
    assert.deepEqual(storage.put(key('k'), bad, SRC).outcome, { result: 'rejected', reason: 'bad-signature' });
    assert.deepEqual(storage.put(key('k'), good, SRC).outcome, { result: 'stored' });
  });

  it('accepts signed values captured from OpenDHT 2.4 and 4.3, and refuses them altered', () => {
    for (const vec of [SIGNED_24, SIGNED_43]) {
      const { storage } = setup();
      const { k, value } = vector(vec);
      assert.deepEqual(storage.put(k, value, SRC).outcome, { result: 'stored' });
      assert.deepEqual(storage.get(k)[0]?.packed, value.packed);
      const altered = makeValue({ ...value, id: 2n, body: { ...value.body!, seq: (value.body!.seq ?? 0) + 1 } });
      assert.deepEqual(storage.put(k, altered, SRC).outcome, { result: 'rejected', reason: 'bad-signature' });
    }
  });
});

describe('storage: certificates (type 8)', () => {
  it('accepts a 2.4 certificate at SHA-1(SPKI) and a 4.3 one at SHA-1(SHA-256(SPKI))', () => {
    for (const vec of [CERT_24, CERT_43]) {
      const { storage } = setup();
      const { k, value } = vector(vec);
      assert.deepEqual(storage.put(k, value, SRC).outcome, { result: 'stored' });
      assert.deepEqual(storage.get(k)[0]?.packed, value.packed);
    }
  });

  it('refuses a certificate at another key and type-8 data that is no certificate', () => {
    const { storage } = setup();
    const c24 = vector(CERT_24);
    const c43 = vector(CERT_43);
    assert.deepEqual(storage.put(c43.k, c24.value, SRC).outcome, { result: 'rejected', reason: 'bad-certificate' });
    assert.deepEqual(storage.put(c24.k, c43.value, SRC).outcome, { result: 'rejected', reason: 'bad-certificate' });
    assert.deepEqual(storage.put(c24.k, typed(1n, 8, 'not a certificate'), SRC).outcome, {
      result: 'rejected',
      reason: 'bad-certificate',
    });
  });

  it('refuses a certificate whose public key does not decode (found by fuzzing)', () => {
    const { storage } = setup();
    const { k, value } = vector(CERT_24);
    const data = Uint8Array.from(value.body!.data);
    data[356] = '/'.charCodeAt(0); // inside the base64 of the leaf's public key
    const broken = makeValue({ id: 1n, body: { type: 8, data } });
    assert.deepEqual(storage.put(k, broken, SRC).outcome, { result: 'rejected', reason: 'bad-certificate' });
  });

  it('lets a certificate be replaced only by one for the same public key', () => {
    const { storage } = setup();
    const { k, value } = vector(CERT_24);
    storage.put(k, value, SRC);
    const body = value.body!;
    // The same certificate as bare PEM (no msgpack bin around it): other bytes, same key.
    const pem = Buffer.from(body.data).subarray(3);
    const samekey = makeValue({ id: 1n, body: { ...body, data: pem } });
    assert.deepEqual(storage.put(k, samekey, SRC).outcome, { result: 'edited' });
    const other = makeValue({ id: 1n, body: { ...body, data: vector(CERT_43).value.body!.data } });
    assert.deepEqual(storage.put(k, other, SRC).outcome, { result: 'rejected', reason: 'bad-certificate' });
    assert.deepEqual(storage.get(k)[0]?.packed, samekey.packed);
  });

  it('keeps a certificate for 7 days', () => {
    const { clock, storage } = setup();
    const { k, value } = vector(CERT_43);
    storage.put(k, value, SRC);
    clock.advance(7 * DAY - 1);
    storage.tick();
    assert.equal(storage.get(k).length, 1);
    clock.advance(1);
    storage.tick();
    assert.equal(storage.get(k).length, 0);
  });
});

describe('storage: size and count limits', () => {
  it('accepts 65536 bytes in OpenDHT accounting and refuses one more', () => {
    const { storage } = setup();
    const data = (n: number) => new Uint8Array(n);
    const fits = makeValue({ id: 1n, body: { type: 0, data: data(65536 - 10), userType: 'text/plain' } });
    const over = makeValue({ id: 2n, body: { type: 0, data: data(65536 - 9), userType: 'text/plain' } });
    assert.deepEqual(storage.put(key('big'), fits, SRC).outcome, { result: 'stored' });
    assert.deepEqual(storage.put(key('big'), over, SRC).outcome, { result: 'rejected', reason: 'too-large' });
    const cypher = makeValue({ id: 3n, cypher: data(65537) });
    assert.deepEqual(storage.put(key('big'), cypher, SRC).outcome, { result: 'rejected', reason: 'too-large' });
  });

  it('refuses new ids beyond maxValuesPerKey and new keys beyond maxKeys, and id 0', () => {
    const { storage } = setup({ maxValuesPerKey: 2, maxKeys: 2 });
    storage.put(key('a'), plain(1n, '1'), SRC);
    storage.put(key('a'), plain(2n, '2'), SRC);
    assert.deepEqual(storage.put(key('a'), plain(3n, '3'), SRC).outcome, { result: 'rejected', reason: 'key-full' });
    assert.deepEqual(storage.put(key('a'), plain(2n, '2'), SRC).outcome, { result: 'refreshed' });
    storage.put(key('b'), plain(1n, '1'), SRC);
    assert.deepEqual(storage.put(key('c'), plain(1n, '1'), SRC).outcome, { result: 'rejected', reason: 'too-many-keys' });
    assert.deepEqual(storage.put(key('c'), plain(0n, '0'), SRC).outcome, { result: 'rejected', reason: 'invalid-id' });
    assert.deepEqual(storage.stats().rejected, { 'key-full': 1, 'too-many-keys': 1, 'invalid-id': 1 });
    assert.equal(storage.listen(key('c'), { ...subscriber(), address: SRC.source }).length, 0);
    assert.equal(storage.stats().listeners, 0, 'a listen needing a new key is refused too, for the source holding the table');
    // Another source holds no key: it is a newcomer, and room is made from the largest holder.
    storage.listen(key('c'), subscriber());
    assert.equal(storage.stats().listeners, 1);
    // The holder's soonest-expiring values go until one of its keys is free (key 'a' holds two).
    assert.equal(storage.stats().evicted, 2);
    assert.equal(storage.stats().keys, 2);
  });

  it('accounts packed bytes plus the per-value overhead', () => {
    const { storage } = setup({ valueOverheadBytes: 100 });
    const a = plain(1n, 'a');
    const b = plain(2n, 'bbbb');
    storage.put(key('x'), a, SRC);
    storage.put(key('y'), b, SRC);
    assert.equal(storage.stats().bytes, a.packed.length + b.packed.length + 200);
    storage.put(key('x'), signed(newSigner(), 3n, 0, 'c'), SRC);
    const total = storage.stats().bytes;
    storage.tick();
    assert.equal(storage.stats().bytes, total);
  });

  it('indexes keys with many values by id', () => {
    const { clock, storage } = setup();
    const k = key('many');
    for (let i = 1n; i <= 40n; i++) storage.put(k, plain(i, `v${i}`), SRC);
    for (let i = 1n; i <= 40n; i++) assert.equal(storage.put(k, plain(i, `v${i}`), SRC).outcome.result, 'refreshed');
    assert.equal(storage.put(k, plain(20n, 'changed'), SRC).outcome.result, 'rejected');
    assert.deepEqual(ids(storage.get(k, { select: [], where: [{ field: Field.id, value: 33n }] })), [33n]);
    clock.advance(10 * MINUTE);
    storage.tick();
    assert.equal(storage.get(k).length, 0);
    storage.put(k, plain(33n, 'again'), SRC);
    assert.equal(storage.get(k).length, 1);
  });
});

describe('storage: quotas and eviction', () => {
  it('evicts from the source using most storage, soonest-expiring first, and tells listeners', () => {
    const { storage } = setup({ maxValues: 4 });
    const k = key('quota');
    const sub = subscriber();
    storage.listen(k, sub);
    // Source A holds three values whose expiry order is not their insertion order.
    storage.put(k, typed(1n, 0), { source: '10.0.0.1' }); // 10 min
    storage.put(k, typed(2n, 5), { source: '10.0.0.1' }); // 1 min: first to go
    storage.put(k, typed(3n, 1), { source: '10.0.0.1' }); // 5 min: second
    storage.put(k, typed(4n, 5), { source: '10.0.0.2' }); // B: 1 min, but B uses less
    const r = storage.put(k, typed(5n, 0), { source: '10.0.0.3' });
    assert.deepEqual(r.outcome, { result: 'stored' });
    assert.deepEqual(
      r.notifications.map((n) => n.event),
      [
        { kind: 'values', values: [typed(5n, 0)] },
        { kind: 'expired', ids: [2n] },
      ],
    );
    storage.put(k, typed(6n, 0), { source: '10.0.0.4' });
    assert.deepEqual(ids(storage.get(k)).sort(), [1n, 4n, 5n, 6n]);
    assert.equal(storage.stats().evicted, 2);
  });

  it('evicts by estimated bytes too', () => {
    const big = plain(1n, 'x'.repeat(1000));
    const { storage } = setup({ maxBytes: 2 * (big.packed.length + STORAGE_DEFAULTS.valueOverheadBytes) });
    storage.put(key('a'), big, { source: '10.0.0.1' });
    storage.put(key('b'), plain(2n, 'x'.repeat(1000)), { source: '10.0.0.2' });
    storage.put(key('c'), plain(3n, 'small'), { source: '10.0.0.2' });
    // B is the largest user: its soonest-expiring value (b, stored first) goes.
    assert.equal(storage.get(key('b')).length, 0);
    assert.equal(storage.get(key('a')).length, 1);
    assert.equal(storage.get(key('c')).length, 1);
    assert.ok(storage.stats().bytes <= 2 * (big.packed.length + STORAGE_DEFAULTS.valueOverheadBytes));
  });

  it('groups IPv6 sources per /64 and applies the per-source quota to the group', () => {
    const { storage } = setup({ maxValuesPerSource: 2 });
    storage.put(key('a'), typed(1n, 5), { source: '2001:db8:1:2::1' });
    storage.put(key('b'), typed(2n, 0), { source: '2001:db8:1:2:ffff::9' });
    storage.put(key('c'), typed(3n, 0), { source: '2001:db8:1:3::1' });
    assert.equal(storage.stats().sources, 2);
    storage.put(key('d'), typed(4n, 0), { source: '2001:0db8:0001:0002::abcd' });
    assert.equal(storage.get(key('a')).length, 0, 'the group’s soonest-expiring value was evicted');
    assert.equal(storage.stats().values, 3);
    assert.equal(storage.stats().evicted, 1);
  });

  it('evicts the node’s own values only when no remote source is left', () => {
    const { storage } = setup({ maxValues: 3 });
    const own = (id: bigint, type: number) => storage.put(key(`own${id}`), typed(id, type), { source: LOCAL_SOURCE }).outcome;
    own(1n, 5);
    own(2n, 0);
    storage.put(key('r1'), typed(11n, 4), { source: '10.0.0.1' });
    assert.deepEqual(storage.put(key('r2'), typed(12n, 4), { source: '10.0.0.2' }).outcome, { result: 'stored' });
    assert.deepEqual([storage.get(key('r1')).length, storage.get(key('own1')).length, storage.get(key('own2')).length], [0, 1, 1]);
    assert.deepEqual(own(3n, 0), { result: 'stored' });
    assert.equal(storage.get(key('r2')).length, 0, 'a local put displaces the last remote value');
    assert.deepEqual(own(4n, 0), { result: 'stored' });
    assert.deepEqual(
      [1n, 2n, 3n, 4n].map((i) => storage.get(key(`own${i}`)).length),
      [0, 1, 1, 1],
      'then the soonest-expiring local value goes',
    );
    assert.equal(storage.stats().evicted, 3);
  });

  it('reports a put whose own value is evicted at once as storage-full', () => {
    const { storage } = setup({ maxValues: 1 });
    storage.put(key('a'), typed(1n, 4), { source: '10.0.0.1' });
    const r = storage.put(key('b'), typed(2n, 5), { source: '10.0.0.1' });
    assert.deepEqual(r.outcome, { result: 'rejected', reason: 'storage-full' });
    assert.deepEqual(r.notifications, []);
    assert.equal(storage.get(key('a')).length, 1);
    assert.equal(storage.stats().rejected['storage-full'], 1);
  });
});

describe('storage: get and select', () => {
  const alice = newSigner();

  function filled() {
    const { storage } = setup();
    const k = key('q');
    storage.put(k, plain(1n, 'a', { userType: 'text/plain' }), SRC);
    storage.put(k, typed(2n, 3), SRC);
    storage.put(k, signed(alice, 3n, 7, 'c', { userType: 'application/x' }), SRC);
    return { storage, k };
  }

  it('getPacked gives the same values as get, as their stored bytes only', () => {
    const { storage, k } = filled();
    for (const query of [undefined, { select: [], where: [{ field: Field.valueType, value: 0 }] }]) {
      const full = storage.get(k, query);
      const packed = storage.getPacked(k, query);
      assert.deepEqual(ids(packed), ids(full));
      for (let i = 0; i < full.length; i++) {
        assert.deepEqual(Uint8Array.from(packed[i]!.packed), Uint8Array.from(full[i]!.packed));
        assert.equal(packed[i]!.body, undefined, 'nothing is decoded');
      }
    }
    assert.deepEqual(storage.getPacked(key('nothing here')), []);
  });

  it('filters by id, type, owner id, seq and user type', () => {
    const { storage, k } = filled();
    const where = (field: number, value: bigint | number | Uint8Array) => ids(storage.get(k, { select: [], where: [{ field, value }] }));
    assert.deepEqual(ids(storage.get(k)), [1n, 2n, 3n]);
    assert.deepEqual(where(Field.id, 2n), [2n]);
    assert.deepEqual(where(Field.valueType, 0), [1n, 3n]);
    assert.deepEqual(where(Field.ownerPk, alice.keyId), [3n]);
    assert.deepEqual(where(Field.seq, 0), [1n, 2n]);
    assert.deepEqual(where(Field.seq, 7), [3n]);
    assert.deepEqual(where(Field.userType, new TextEncoder().encode('text/plain')), [1n]);
    assert.deepEqual(
      ids(
        storage.get(k, {
          select: [],
          where: [
            { field: Field.valueType, value: 0 },
            { field: Field.seq, value: 7 },
          ],
        }),
      ),
      [3n],
    );
    assert.deepEqual(where(Field.id, 99n), []);
  });

  it('answers SELECT with sorted, deduplicated fields and OpenDHT encodings', () => {
    const { storage, k } = filled();
    const r = storage.select(k, { select: [5, 4, 1, 4, 2], where: [] });
    assert.deepEqual(r.fields, [1, 2, 4, 5]);
    assert.deepEqual(r.values, [1n, 0, 0, 'text/plain', 2n, 3, 0, '', 3n, 0, 7, 'application/x']);
    const owners = storage.select(k, { select: [3], where: [{ field: Field.id, value: 1n }] });
    assert.deepEqual(owners, { fields: [3], values: [new Uint8Array(20)] });
    const signedOwner = storage.select(k, { select: [3], where: [{ field: Field.id, value: 3n }] });
    assert.deepEqual(signedOwner.values, [alice.spki]);
    assert.deepEqual(storage.select(key('nothing'), { select: [1, 4], where: [] }), { fields: [1, 4], values: [] });
  });

  it('returns values with the packed bytes as received', () => {
    const { storage } = setup();
    // Non-canonical but valid: a uint64-encoded small id, which a re-encoding would shorten.
    const canonical = plain(5n, 'raw');
    const raw = Buffer.concat([Buffer.from([0x82, 0xa2, 0x69, 0x64, 0xcf, 0, 0, 0, 0, 0, 0, 0, 5]), Buffer.from(canonical.packed.subarray(5))]);
    const decoded = decodeValue(raw);
    assert.ok(decoded.ok);
    storage.put(key('raw'), decoded.value, SRC);
    assert.deepEqual(Buffer.from(storage.get(key('raw'))[0]!.packed), raw);
  });
});
