import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLevel } from 'memory-level';
import { createDhtNode, type DhtDb } from '../src/index.js';
import { loadState } from '../src/persist/state.js';
import { createTestnet, literalResolver, seededRng } from './testnet.js';

describe('persistence', () => {
  it('keeps the node id and rejoins from the routing cache after a restart', async () => {
    const net = await createTestnet({ size: 12, seed: 'persist' });
    const db = new MemoryLevel<string, string>();
    await db.open();
    const dbi: DhtDb = db;
    const transport = net.network.createTransport({ address4: '10.9.0.1', address6: 'fd09::1' });
    const first = createDhtNode(
      { bootstrap: [`${net.address(0)}:4222`] },
      { transport, db: dbi, clock: net.clock, scheduler: net.clock, rng: seededRng('persisted-1'), resolver: literalResolver },
    );
    await first.start();
    await net.advance(60_000);
    assert.ok(first.status().nodes[4].good >= 8);
    const id = Buffer.from(first.id).toString('hex');
    await first.stop();
    const saved = await loadState(dbi);
    assert.equal(saved.id, id);
    assert.ok(saved.nodes[4].length >= 8);

    // Restart with another rng and no bootstrap list: same id, table refilled from the cache.
    const transport2 = net.network.createTransport({ address4: '10.9.0.1', address6: 'fd09::1' });
    const second = createDhtNode(
      {},
      { transport: transport2, db: dbi, clock: net.clock, scheduler: net.clock, rng: seededRng('persisted-2'), resolver: literalResolver },
    );
    await second.start();
    assert.equal(Buffer.from(second.id).toString('hex'), id);
    await net.advance(2_000);
    assert.ok(second.status().nodes[4].good >= 8, `rejoined with ${second.status().nodes[4].good} good nodes`);
    await second.stop();
    await net.stop();
    await db.close();
  });

  it('reads a corrupt cache as empty', async () => {
    const db = new MemoryLevel<string, string>();
    await db.open();
    await db.put('dht:routing-cache', '{not json');
    await db.put('dht:node-id', 'xyz');
    const state = await loadState(db);
    assert.deepEqual(state, { id: null, nodes: { 4: [], 6: [] } });
    await db.put(
      'dht:routing-cache',
      JSON.stringify({
        4: [
          { id: 'ab'.repeat(20), address: '10.0.0.1', port: 4222 },
          { id: 'bad', address: 1 },
        ],
      }),
    );
    assert.equal((await loadState(db)).nodes[4].length, 1);
    await db.close();
  });
});
