import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryLevel } from 'memory-level';
import { createLevelRegistry } from '@lanbox/nameserver';
import { eventually, lookup, makeAccount, register, registration, reverse, startBox, Switch, type Account, type TestBox } from './helpers.js';

describe('three boxes', () => {
  const net = new Switch();
  let boxes: TestBox[] = [];
  let accounts: Account[] = [];
  const SITE_KEY = 'site-operator-key-for-tests';

  before(async () => {
    accounts = await Promise.all(Array.from({ length: 6 }, () => makeAccount()));
    const first = await startBox(1, net, { siteKey: SITE_KEY });
    const second = await startBox(2, net, { siteKey: SITE_KEY, peers: [{ host: '127.0.0.1', port: first.port }] });
    // Box 3 knows only box 2; box 1 learns of box 3 when box 3 (or box 2) gets in touch.
    const third = await startBox(3, net, {
      siteKey: SITE_KEY,
      peers: [
        { host: '127.0.0.1', port: second.port },
        { host: '127.0.0.1', port: first.port },
      ],
    });
    boxes = [first, second, third];
    await eventually('every box knows the two others', () =>
      boxes.every((b) => b.replication.status().peers.filter((p) => p.state === 'up' && p.id !== null).length === 2),
    );
  });
  after(async () => {
    for (const b of boxes) await b.stop();
  });

  it('a name registered on box 1 resolves on boxes 2 and 3, both ways', async () => {
    const [a] = accounts as [Account];
    assert.equal(await register(boxes[0]!, a, 'alice'), 200);
    for (const b of boxes.slice(1)) {
      assert.equal(await eventually('alice on another box', () => lookup(b, 'alice')), a.addr);
      assert.equal(await reverse(b, a.addr), 'alice');
    }
  });

  it('the same name is refused on box 2 while every box is reachable', async () => {
    const [, b] = accounts as [Account, Account];
    assert.equal(await register(boxes[1]!, b, 'alice'), 409);
    // Also a name only reserved on box 2 for box 1's registration in flight: the same answer.
    assert.equal(await lookup(boxes[1]!, 'alice'), accounts[0]!.addr);
  });

  it('during a split both sides register; after healing one owner everywhere, the loser reports', async () => {
    const [, , c, d] = accounts as [Account, Account, Account, Account];
    const [one, two, three] = boxes as [TestBox, TestBox, TestBox];
    net.down(three, one);
    net.down(three, two);
    const before = await Promise.all(boxes.map((b) => b.nameserver.exportNames()));
    assert.equal(await register(one, c, 'shared'), 200);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await register(three, d, 'shared'), 200);
    assert.equal(await lookup(three, 'shared'), d.addr);
    net.up(three, one);
    net.up(three, two);
    for (const b of boxes)
      assert.equal(await eventually('one owner for "shared"', async () => ((await lookup(b, 'shared')) === c.addr ? true : undefined)), true);
    const st = three.replication.status();
    assert.equal(st.conflicts.length, 1);
    assert.equal(st.conflicts[0]?.lost.addr, d.addr);
    assert.equal(st.conflicts[0]?.winner.addr, c.addr);
    assert.equal(one.replication.status().conflicts.length, 0);
    assert.equal(two.replication.status().conflicts.length, 0);
    assert.equal(await reverse(three, d.addr), undefined);
    // Nothing else changed: every other name is where it was.
    for (const [i, b] of boxes.entries()) {
      const now = (await b.nameserver.exportNames()).names.filter((r) => r.name !== 'shared').map((r) => `${r.name}=${r.addr}`);
      assert.deepEqual(now.sort(), before[i]!.names.map((r) => `${r.name}=${r.addr}`).sort());
    }
  });

  it('a box that was down catches up after its restart', async () => {
    const [, , , , e] = accounts as Account[];
    const [one, two] = boxes as [TestBox, TestBox];
    await two.stop();
    assert.equal(await register(one, e!, 'while-away'), 200);
    await two.restart();
    assert.equal(await eventually('the name registered while away', () => lookup(two, 'while-away')), e!.addr);
  });

  it('an operator removal made with the site key replicates', async () => {
    const [one, two, three] = boxes as [TestBox, TestBox, TestBox];
    assert.equal(await one.nameserver.removeName('while-away'), true);
    for (const b of [two, three]) await eventually('the removal everywhere', async () => ((await lookup(b, 'while-away')) === undefined ? true : undefined));
    // And the removed record does not come back with the next exchanges.
    await Promise.all(boxes.map((b) => b.replication.syncAll()));
    for (const b of boxes) assert.equal(await lookup(b, 'while-away'), undefined);
  });

  it('records with bad signatures from a rogue peer are refused and counted, then the peer is blocked', async () => {
    const [, , , , , f] = accounts as Account[];
    const one = boxes[0]!;
    const forged = JSON.parse(registration(f!, 'rogue', Buffer.alloc(256, 7).toString('base64'))) as Record<string, unknown>;
    const record = { name: 'rogue', ...forged, registeredAt: 1 };
    const res = await fetch(one.url('/api/replication/v1/push'), {
      method: 'POST',
      body: JSON.stringify({ records: [record, { ...record, name: 'rogue2' }] }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 0, refused: 2, bad: 2 });
    assert.equal(await lookup(one, 'rogue'), undefined);
    assert.equal(one.replication.status().counters.badRecords >= 2, true);
    const flood = { records: Array.from({ length: 20 }, (_, i) => ({ ...record, name: `rogue${i + 10}` })) };
    await (await fetch(one.url('/api/replication/v1/push'), { method: 'POST', body: JSON.stringify(flood) })).arrayBuffer();
    const blocked = await fetch(one.url('/api/replication/v1/hello'));
    assert.equal(blocked.status, 429);
    const source = one.replication.status().sources.find((s) => s.blocked);
    assert.ok(source);
    assert.ok(one.replication.status().counters.throttled >= 1);
  });
});

describe('a registry changed behind replication', () => {
  it('names restored into the store by the operator (a repair) are indexed again and reach the other box', async () => {
    const net = new Switch();
    const db = new MemoryLevel<string, string>();
    const registry = createLevelRegistry(db);
    const one = await startBox(11, net, {}, db, 0, registry);
    const two = await startBox(12, net, { peers: [{ host: '127.0.0.1', port: one.port }] });
    try {
      const a = await makeAccount();
      const body = JSON.parse(registration(a, 'restored')) as { addr: string; owner: string; publickey: string; signature: string };
      await registry.insert([{ name: 'restored', ...body, registeredAt: 5 }]);
      assert.equal(await eventually('the restored name on the other box', () => lookup(two, 'restored')), a.addr);
    } finally {
      await two.stop();
      await one.stop();
    }
  });
});
