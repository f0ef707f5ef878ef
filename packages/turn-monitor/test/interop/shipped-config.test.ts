import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { TurnRequestError } from '../../src/client/errors.js';
import { Transport } from '../../src/codec/constants.js';
import { runProbe } from '../../src/probe/probe.js';
import { startCoturn, type Coturn } from '../helpers/coturn.js';
import { loopbackSettings, rawClient, realDeps, target } from '../helpers/probe-deps.js';

const CONFIG_URL = new URL('../../../../appliance/coturn/turnserver.conf', import.meta.url);

/** Lines the test replaces: ports and logging are per run; everything else is exactly what the box ships. */
const PER_RUN = /^(listening-port|min-port|max-port|log-file|simple-log)\b/;

describe('appliance/coturn/turnserver.conf', () => {
  let lines: string[];
  let coturn: Coturn;

  before(async () => {
    lines = (await readFile(CONFIG_URL, 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    coturn = await startCoturn({
      // Bound to loopback for the test only; the box listens on all its addresses.
      baseConfig: [...lines.filter((l) => !PER_RUN.test(l)), 'listening-ip=127.0.0.1', 'relay-ip=127.0.0.1'],
    });
  });
  after(async () => {
    await coturn?.stop();
  });

  it('keeps what Jami needs and none of what it must not have', () => {
    for (const needed of ['lt-cred-mech', 'user=ring:ring', 'realm=ring', 'listening-port=3478', 'no-cli', 'no-tls', 'no-dtls']) {
      assert.ok(lines.includes(needed), needed);
    }
    for (const banned of ['no-tcp-relay', 'no-tcp', 'allow-loopback-peers']) {
      assert.ok(!lines.some((l) => l === banned || l.startsWith(`${banned}=`)), banned);
    }
  });

  it("coturn accepts it, and Jami's check (TCP + RFC 6062 allocation with ring/ring) passes", async () => {
    const { client, channel } = await rawClient('tcp', coturn.port);
    try {
      assert.equal(await client.challenge(Transport.TCP), 'ring');
      const allocation = await client.allocate(Transport.TCP);
      assert.ok(allocation.relayed.port > 0);
    } finally {
      channel.close();
    }
  });

  it('permits LAN peers and refuses public and loopback ones (403), without sending them anything', async () => {
    const { client, channel } = await rawClient('udp', coturn.port);
    try {
      await client.challenge(Transport.UDP);
      await client.allocate(Transport.UDP);
      for (const address of ['192.168.1.20', '10.1.2.3', '172.20.0.5', '169.254.7.7']) {
        await client.createPermission({ family: 'IPv4', address, port: 5000 });
      }
      for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '127.0.0.1', '224.0.0.251']) {
        await assert.rejects(
          client.createPermission({ family: 'IPv4', address, port: 5000 }),
          (e: unknown) => e instanceof TurnRequestError && e.code === 403,
          address,
        );
      }
      await client.refresh(0);
    } finally {
      channel.close();
    }
  });

  it('so on the box the probe must use a LAN peer address: a loopback peer is refused (degraded, 403)', async () => {
    const r = await runProbe(target(coturn.port), loopbackSettings, realDeps);
    assert.equal(r.state, 'degraded');
    assert.equal(r.failure?.step, 'tcp-permission');
    assert.equal(r.failure?.code, 403);
    assert.ok(r.steps['tcp-allocate'] !== undefined);
  });
});
