import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { infoHashFromHex, xorCompare } from '../src/codec/index.js';
import { isLoopback, isMartian } from '../src/routing/address-policy.js';
import { Blacklist } from '../src/routing/blacklist.js';
import { NODE_GOOD_MS, NODE_HEARD_MS, Peer } from '../src/routing/peer.js';
import { RoutingTable } from '../src/routing/table.js';
import { seededRng } from './testnet.js';

const T0 = 1_700_000_000_000;

function idWithFirstByte(b: number, rng: (n: number) => Uint8Array): Uint8Array {
  const id = rng(20);
  id[0] = b;
  return id;
}

function peer(id: Uint8Array, i = 0): Peer {
  return new Peer(id, 4, `10.0.0.${(i % 250) + 1}`, 4222, 1);
}

function good(p: Peer, now: number): Peer {
  p.heard(now, true);
  return p;
}

describe('peer liveness', () => {
  it('good after a reply, dubious after 10 min without traffic, expired on failure, revived by any datagram', () => {
    const p = peer(new Uint8Array(20).fill(1));
    assert.equal(p.isGood(T0), false, 'never answered: dubious');
    p.heard(T0, false);
    assert.equal(p.isGood(T0), false, 'a request alone does not make it good');
    p.heard(T0, true);
    assert.equal(p.isGood(T0), true);
    assert.equal(p.isGood(T0 + NODE_HEARD_MS + 1), false, 'silent for 10 min');
    p.heard(T0 + NODE_GOOD_MS - 1000, false);
    assert.equal(p.isGood(T0 + NODE_GOOD_MS - 1000), true, 'heard recently, replied within 2 h');
    assert.equal(p.isGood(T0 + NODE_GOOD_MS + 1), false, 'no reply for 2 h');
    p.expired = true;
    assert.equal(p.isExpired(), true);
    p.heard(T0 + NODE_GOOD_MS + 2, false);
    assert.equal(p.isExpired(), false);
  });

  it('expires after more than 3 auth errors', () => {
    const p = good(peer(new Uint8Array(20).fill(2)), T0);
    p.authErrors = 3;
    assert.equal(p.isExpired(), false);
    p.authErrors = 4;
    assert.equal(p.isExpired(), true);
  });

  it('tid counter skips 0', () => {
    const p = new Peer(new Uint8Array(20).fill(3), 4, '10.0.0.1', 1, 0xffffffff);
    assert.equal(p.nextTid(), 1);
    assert.equal(p.nextTid(), 2);
  });
});

describe('routing table', () => {
  it('a cached candidate offered again while a split moves it into a bucket is held once', () => {
    const rng = seededRng('cached-split');
    const table = new RoutingTable(4, new Uint8Array(20), { bootstrapMode: false });
    // Eight dubious nodes (heard, never answered), four on each side of the 0x40 boundary.
    const firsts = [0x01, 0x02, 0x03, 0x04, 0x41, 0x42, 0x43, 0x44];
    const nodes = firsts.map((b, i) => peer(idWithFirstByte(b, rng), i));
    for (const n of nodes) {
      n.heard(T0, false);
      assert.equal(table.insert(n, T0).kind, 'added');
    }
    // The only bucket, full: it splits even though its nodes are dubious; the upper half is empty.
    assert.equal(table.insert(peer(idWithFirstByte(0x80, rng), 8), T0).kind, 'added');
    // Full, ours, dubious and no longer alone: the newcomer becomes the cached candidate.
    const x = peer(idWithFirstByte(0x45, rng), 9);
    assert.equal(table.insert(x, T0).kind, 'cached');
    // Once the nodes have answered, offering the candidate again splits the bucket, which moves
    // the candidate into the upper half: the insert finds it there instead of adding it twice.
    for (const n of nodes) n.heard(T0 + 1000, true);
    assert.equal(table.insert(x, T0 + 1000).kind, 'updated');
    assert.equal(table.size, 10);
    const copies = table.buckets.reduce((sum, b) => sum + b.nodes.filter((n) => n === x).length, 0);
    assert.equal(copies, 1);
  });

  it('splits the bucket holding our id and keeps 8 nodes per bucket', () => {
    const rng = seededRng('split');
    const own = idWithFirstByte(0x00, rng);
    const table = new RoutingTable(4, own, { bootstrapMode: false });
    // 8 far nodes (first bit 1) fill the only bucket; the 9th splits it.
    for (let i = 0; i < 8; i++) assert.equal(table.insert(good(peer(idWithFirstByte(0x80 | i, rng), i), T0), T0).kind, 'added');
    assert.equal(table.buckets.length, 1);
    // The 9th far node splits the bucket (it held our id), but lands in the full far half: cached.
    assert.equal(table.insert(good(peer(idWithFirstByte(0x81, rng), 9), T0), T0).kind, 'cached');
    assert.equal(table.buckets.length, 2);
    assert.equal(table.buckets[0]!.nodes.length, 0);
    assert.equal(table.buckets[1]!.nodes.length, 8);
    // The far half (without our id) is full of good nodes: a new far node is cached, no split.
    const result = table.insert(good(peer(idWithFirstByte(0xc0, rng), 10), T0), T0);
    assert.equal(result.kind, 'cached');
    assert.equal(table.buckets.length, 2);
    // Nodes near our id keep splitting our bucket.
    for (let i = 0; i < 20; i++) table.insert(good(peer(idWithFirstByte(i, rng), 20 + i), T0), T0);
    assert.ok(table.buckets.length > 2);
    for (const b of table.buckets) assert.ok(b.nodes.length <= 8);
    // Buckets tile the id space in order.
    for (let i = 1; i < table.buckets.length; i++) assert.ok(Buffer.compare(table.buckets[i - 1]!.prefix, table.buckets[i]!.prefix) < 0);
  });

  it('in bootstrap mode splits buckets of depth < 6 even without our id', () => {
    const rng = seededRng('bootstrap');
    const own = idWithFirstByte(0x00, rng);
    const table = new RoutingTable(4, own, { bootstrapMode: true });
    for (let i = 0; i < 64; i++) table.insert(good(peer(idWithFirstByte(0x80 | (i * 2), rng), i), T0), T0);
    const far = table.buckets.filter((b) => b.prefix[0]! >= 0x80);
    assert.ok(far.length > 1, 'the far half was split');
    assert.ok(far.every((b) => b.depth <= 6));
    assert.ok(table.size > 8);
    const plain = new RoutingTable(4, own, { bootstrapMode: false });
    for (let i = 0; i < 64; i++) plain.insert(good(peer(idWithFirstByte(0x80 | (i * 2), rng), i), T0), T0);
    assert.equal(plain.size, 8);
  });

  it('replaces an expired node, and pings a dubious one while caching the newcomer', () => {
    const rng = seededRng('replace');
    const own = idWithFirstByte(0x00, rng);
    const table = new RoutingTable(4, own, { bootstrapMode: false });
    const peers = Array.from({ length: 8 }, (_, i) => good(peer(idWithFirstByte(0x80 | i, rng), i), T0));
    for (const p of peers) table.insert(p, T0);
    table.insert(good(peer(idWithFirstByte(0x00 | 1, rng), 50), T0), T0); // split: far bucket stays full
    const farBucket = table.bucketOf(peers[0]!.id);
    assert.equal(farBucket.nodes.length, 8);
    peers[3]!.expired = true;
    const fresh = peer(idWithFirstByte(0xf0, rng), 60);
    assert.equal(table.insert(fresh, T0).kind, 'added');
    assert.ok(farBucket.nodes.includes(fresh));
    assert.ok(!farBucket.nodes.includes(peers[3]!));
    // Later, nodes go quiet (dubious): a newcomer is cached and the first dubious node is to be pinged.
    const later = T0 + NODE_HEARD_MS + 1;
    const another = peer(idWithFirstByte(0xe0, rng), 70);
    const r = table.insert(another, later);
    assert.equal(r.kind, 'cached');
    assert.ok(r.kind === 'cached' && r.ping !== null);
    assert.equal(farBucket.cached, another);
    // When a node expires, the sweep promotes the cached candidate.
    peers[0]!.expired = true;
    const promoted = table.sweepExpired();
    assert.deepEqual(promoted, [another]);
    assert.ok(farBucket.nodes.includes(another));
  });

  it('closest() returns up to N accepted nodes, closest first', () => {
    const rng = seededRng('closest');
    const own = rng(20);
    const table = new RoutingTable(4, own, { bootstrapMode: true });
    const all: Peer[] = [];
    for (let i = 0; i < 200; i++) {
      const p = peer(rng(20), i);
      if (i % 3 !== 0) good(p, T0);
      table.insert(p, T0);
      if (table.get(p.id)) all.push(p);
    }
    const target = rng(20);
    const got = table.closest(target, 8, (p) => p.isGood(T0));
    const expected = all
      .filter((p) => p.isGood(T0))
      .sort((a, b) => xorCompare(a.id, b.id, target))
      .slice(0, 8);
    assert.equal(got.length, 8);
    assert.deepEqual(
      got.map((p) => p.hex),
      expected.map((p) => p.hex),
    );
    assert.equal(table.counts(T0).total, all.length);
  });

  it('finds the bucket of any id', () => {
    const own = infoHashFromHex('8000000000000000000000000000000000000000');
    const table = new RoutingTable(4, own, { bootstrapMode: false });
    const rng = seededRng('buckets');
    for (let i = 0; i < 100; i++) table.insert(good(peer(rng(20), i), T0), T0);
    for (let i = 0; i < 100; i++) {
      const id = rng(20);
      const b = table.bucketOf(id);
      const i2 = table.buckets.indexOf(b);
      assert.ok(Buffer.compare(b.prefix, id) <= 0);
      const next = table.buckets[i2 + 1];
      if (next) assert.ok(Buffer.compare(next.prefix, id) > 0);
    }
  });
});

describe('address policy', () => {
  it('flags martians (§16.3) but not loopback or private addresses', () => {
    assert.equal(isMartian(4, '127.0.0.1', 4222), false);
    assert.equal(isMartian(4, '192.168.1.5', 4222), false);
    assert.equal(isMartian(4, '10.0.0.1', 0), true);
    assert.equal(isMartian(4, '0.1.2.3', 4222), true);
    assert.equal(isMartian(4, '224.0.0.1', 4222), true);
    assert.equal(isMartian(4, '255.255.255.255', 4222), true);
    assert.equal(isMartian(6, '::1', 4222), false);
    assert.equal(isMartian(6, 'fe80::1', 4222), false);
    assert.equal(isMartian(6, '2001:db8::1', 4222), false);
    assert.equal(isMartian(6, 'ff02::1', 4222), true);
    assert.equal(isMartian(6, '::', 4222), true);
    assert.equal(isMartian(6, '::ffff:1.2.3.4', 4222), true);
    assert.equal(isMartian(4, 'not an ip', 4222), true);
    assert.equal(isLoopback(4, '127.7.7.7'), true);
    assert.equal(isLoopback(6, '::1'), true);
    assert.equal(isLoopback(6, 'fd00::1'), false);
  });

  it('blacklist is bounded, oldest forgotten first', () => {
    const b = new Blacklist(2);
    b.add('1.1.1.1', 1);
    b.add('2.2.2.2', 2);
    b.add('3.3.3.3', 3);
    assert.equal(b.has('1.1.1.1', 1), false);
    assert.equal(b.has('2.2.2.2', 2), true);
    assert.equal(b.has('2.2.2.2', 3), false, 'exact port');
    assert.equal(b.size, 2);
  });
});
