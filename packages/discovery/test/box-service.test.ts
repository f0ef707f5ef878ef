/**
 * The `lanbox` service: boxes announce their web port beside their DHT node and hear each other;
 * the entry decodes totally, and a datagram carrying it still holds the `dht` entry OpenDHT reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import { decodeBoxService, decodeDhtService, decodeMessage, encodeBoxService } from '../src/codec/messages.js';
import { decodeMsgpack } from '../src/codec/msgpack.js';
import { createDiscovery, createMemoryLan, LANBOX_SERVICE, type Family, type InterfaceTable } from '../src/index.js';

function host(lan: ReturnType<typeof createMemoryLan>, address: string, idByte: number, webPort: () => number | undefined) {
  const found: Array<[Family, string, string, number]> = [];
  const id = new Uint8Array(20).fill(idByte);
  const ifaces: InterfaceTable = { eth0: [{ address, family: 'IPv4', internal: false }] };
  const discovery = createDiscovery(
    {},
    {
      dht: { nodeId: () => id, port: (f) => (f === 4 ? 4222 : undefined), networkId: 0, addNode: () => undefined },
      box: { boxId: () => id, webPort, found: (...args) => found.push(args) },
      transport: lan.transport({ 4: address }),
      clock: { now: () => 1000 },
      interfaces: () => ifaces,
    },
  );
  return { discovery, found };
}

describe('lanbox service', () => {
  it('round-trips and is read next to the dht entry', () => {
    const bytes = encodeBoxService({ boxId: new Uint8Array(20).fill(7), webPort: 8080 });
    const value = decodeMsgpack(bytes);
    assert.ok(value.ok);
    const back = decodeBoxService(value.value);
    assert.ok(back.ok);
    assert.equal(back.value.webPort, 8080);
    assert.deepEqual([...back.value.boxId], new Array(20).fill(7));
  });

  it('two boxes hear each other; their announcements keep a valid dht entry', async () => {
    const lan = createMemoryLan();
    let port1: number | undefined;
    const one = host(lan, '10.0.0.1', 1, () => port1);
    const two = host(lan, '10.0.0.2', 2, () => 8082);
    await one.discovery.start();
    await two.discovery.start();
    lan.deliver();
    // Box one's web server is not listening yet: it announces no lanbox entry.
    assert.deepEqual(two.found, []);
    // Heard twice: box two's own round, and its unicast answer to box one's query.
    assert.ok(one.found.length > 0);
    for (const f of one.found) assert.deepEqual(f, [4, '10.0.0.2', '02'.repeat(20), 8082]);
    port1 = 8081;
    one.discovery.tick();
    lan.deliver();
    assert.ok(two.found.length > 0);
    for (const f of two.found) assert.deepEqual(f, [4, '10.0.0.1', '01'.repeat(20), 8081]);

    const announcement = lan.sent.map((d) => decodeMessage(d.data)).find((m) => m.ok && m.value.type === 'announcement' && m.value.services.length === 2);
    assert.ok(announcement?.ok && announcement.value.type === 'announcement');
    assert.deepEqual(
      announcement.value.services.map((s) => s.name),
      ['dht', LANBOX_SERVICE],
    );
    assert.ok(decodeDhtService(announcement.value.services[0]!.value).ok);
    assert.equal(one.discovery.status().counters.boxesHeard, one.found.length);
    await one.discovery.stop();
    await two.discovery.stop();
  });

  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const v = decodeMsgpack(bytes);
        if (v.ok) decodeBoxService(v.value);
      }),
      { seed: 15, numRuns: fuzzRuns(2000) },
    );
  });
});
