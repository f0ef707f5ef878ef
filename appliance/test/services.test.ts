/**
 * The services as the appliance builds them, in process: the configuration's typed values reach
 * the packages as values (no text round trip), and each service reports a typed status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createDhtNode } from '@lanbox/dht';
import { defaultsFor, type LanboxConfig } from '../src/config/schema.js';
import { boundDhtPort, createDhtService } from '../src/services/dht.js';
import { createTurnService } from '../src/services/turn.js';
import { tempDir, waitFor } from './helpers.js';

const logger = pino({ level: 'silent' });
const memoryDb = () => {
  const m = new Map<string, string>();
  return { get: async (k: string) => m.get(k), put: async (k: string, v: string) => void m.set(k, v) };
};

test('a bootstrap entry given as { host: "::1", port } joins that node; before start the status says not running', async () => {
  const peer = createDhtNode({ port: 0, bind4: null, bind6: '::1' });
  await peer.start();
  const config: LanboxConfig = { ...defaultsFor('local'), dhtPort: 0, bind: '::1', bootstrap: [{ host: '::1', port: peer.port(6)! }] };
  const dht = createDhtService(config, { db: memoryDb(), logger });
  assert.deepEqual(dht.status(), { state: 'down', summary: 'not running' });
  assert.equal(boundDhtPort(dht.status()), null);
  try {
    await dht.start();
    const st = dht.status();
    assert.ok('ports' in st);
    assert.equal(boundDhtPort(st), st.ports.udp6);
    await waitFor(
      'the box to hold the bootstrap node as good',
      () => {
        const s = dht.status();
        return 'nodes' in s && s.nodes.ipv6.good === 1 ? true : undefined;
      },
      20_000,
    );
    assert.equal(dht.status().state, 'ok');
  } finally {
    await dht.stop();
    await peer.stop();
  }
});

test('TURN servers reach the monitor as values: a user and password with URL syntax in them stay intact', async () => {
  const dir = await tempDir();
  const config: LanboxConfig = {
    ...defaultsFor('local'),
    dataDir: dir.path,
    turn: [{ username: 'a:b@c', password: '%41/x', host: '::1', port: 9 }],
  };
  const turn = createTurnService(config, { logger });
  await turn.start();
  try {
    const st = turn.status();
    assert.ok('servers' in st);
    assert.equal(st.servers[0]?.url, 'turn://a%3Ab%40c@[::1]:9', 'display URL derived from the values, no password');
    assert.ok(['degraded', 'down'].includes(st.state));
  } finally {
    await turn.stop();
    await dir.remove();
  }
});
