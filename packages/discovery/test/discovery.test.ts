import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAnnouncement, encodeDhtService, encodeJamiService, encodeQuery } from '../src/codec/messages.js';
import {
  createDiscovery,
  createMemoryLan,
  DiscoveryError,
  type DiscoveryOptions,
  type DiscoveryTransport,
  type Family,
  type InterfaceTable,
  type SentDatagram,
} from '../src/index.js';
import type { Datagram } from '../src/transport/types.js';
import { hex, payload, unhex, vector } from './vectors.js';

const BOX_ID = unhex('ab'.repeat(20));
const GROUP = { 4: '239.192.0.1', 6: 'ff08::101' } as const;
const ETH0 = { 4: { name: 'eth0', address: '10.0.0.2' }, 6: { name: 'eth0', address: 'fe80::2' } } as const;

function table(entries: Record<string, Array<[string, 'IPv4' | 'IPv6']>>): InterfaceTable {
  const out: InterfaceTable = { lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] };
  for (const [name, addrs] of Object.entries(entries)) {
    out[name] = addrs.map(([address, family]) => ({ address, family, internal: false }));
  }
  return out;
}

interface Setup {
  readonly lan: ReturnType<typeof createMemoryLan>;
  readonly discovery: ReturnType<typeof createDiscovery>;
  readonly added: Array<[Family, string, number]>;
  readonly ports: Record<Family, number | undefined>;
  /** What the peer at 10.0.0.2 / fe80::2 received. */
  readonly heard: Datagram[];
  readonly peer: DiscoveryTransport;
  advance(ms: number): void;
  now(): number;
  setInterfaces(t: InterfaceTable): void;
  /** The peer sends bytes to the group (or to the box by unicast). */
  send(family: Family, data: Uint8Array, unicast?: boolean): void;
  /** Datagrams the box sent since `from` (index into lan.sent). */
  boxSent(from?: number): SentDatagram[];
}

async function setup(options: DiscoveryOptions = {}, { families = [4, 6] as Family[], networkId = 0, random = 0x8000 } = {}): Promise<Setup> {
  const lan = createMemoryLan();
  let now = 1_000_000;
  const added: Array<[Family, string, number]> = [];
  const ports: Record<Family, number | undefined> = { 4: 4222, 6: 4222 };
  let ifaces = table({
    eth0: [
      ['10.0.0.1', 'IPv4'],
      ['fe80::1', 'IPv6'],
    ],
  });
  const discovery = createDiscovery(options, {
    dht: {
      nodeId: () => BOX_ID,
      port: (f) => ports[f],
      networkId,
      addNode: (f, a, p) => added.push([f, a, p]),
    },
    transport: lan.transport({
      ...(families.includes(4) ? { 4: '10.0.0.1' } : {}),
      ...(families.includes(6) ? { 6: 'fe80::1%eth0' } : {}),
    }),
    clock: { now: () => now },
    rng: (n) => new Uint8Array(n).fill(0).map((_, i) => (i === 0 ? random >> 8 : random & 0xff)),
    interfaces: () => ifaces,
  });
  const peer = lan.transport({ 4: '10.0.0.2', 6: 'fe80::2%eth0' });
  const heard: Datagram[] = [];
  for (const f of [4, 6] as const) {
    await peer.open(f, { port: 8888, group: GROUP[f] }, { onDatagram: (d) => heard.push(d), onError: () => undefined });
    peer.join(f, ETH0[f]);
  }
  return {
    lan,
    discovery,
    added,
    ports,
    heard,
    peer,
    advance(ms) {
      now += ms;
    },
    now: () => now,
    setInterfaces(t) {
      ifaces = t;
    },
    send(family, data, unicast = false) {
      if (unicast) peer.sendTo(family, data, family === 4 ? '10.0.0.1' : 'fe80::1%eth0', 8888);
      else peer.sendToGroup(family, data, ETH0[family]);
      lan.deliver();
    },
    boxSent: (from = 0) => lan.sent.slice(from).filter((d) => d.from.address === '10.0.0.1' || d.from.address === 'fe80::1%eth0'),
  };
}

const ourAnnouncement = (port: number): string => hex(encodeAnnouncement(new Map([['dht', encodeDhtService({ nodeId: BOX_ID, port, networkId: 0 })]])));

describe('announcing', () => {
  it('sends a query then its dht announcement on each family at start, as OpenDHT does', async () => {
    const s = await setup();
    await s.discovery.start();
    const sent = s.boxSent().map((d) => [d.family, d.to.address, d.to.port, d.via, hex(d.data)]);
    assert.deepEqual(sent, [
      [4, GROUP[4], 8888, 'eth0', 'a171'],
      [4, GROUP[4], 8888, 'eth0', ourAnnouncement(4222)],
      [6, GROUP[6], 8888, 'eth0', 'a171'],
      [6, GROUP[6], 8888, 'eth0', ourAnnouncement(4222)],
    ]);
    // Same layout as dhtnode's own announcement (vector 03), with our id and port 4222.
    assert.equal(ourAnnouncement(4222), `81a364687493c414${'ab'.repeat(20)}cd107e00`);
    const st = s.discovery.status();
    assert.equal(st.state, 'ok');
    assert.deepEqual([st.ipv4.interfaces, st.ipv6.interfaces], [['eth0'], ['eth0']]);
    assert.equal(st.counters.queriesSent, 2);
    assert.equal(st.counters.announcementsSent, 2);
    await s.discovery.stop();
    assert.equal(s.discovery.status().state, 'stopped');
  });

  it('announces per family only when the DHT has a port for it, and announces a new port at once', async () => {
    const s = await setup();
    s.ports[6] = undefined;
    await s.discovery.start();
    assert.deepEqual(
      s.boxSent().map((d) => [d.family, hex(d.data)]),
      [
        [4, 'a171'],
        [4, ourAnnouncement(4222)],
        [6, 'a171'],
      ],
    );
    assert.equal(s.discovery.status().ipv6.publishing, false);
    const mark = s.lan.sent.length;
    s.advance(1000);
    s.discovery.tick();
    assert.equal(s.boxSent(mark).length, 0, 'nothing changed, nothing sent');
    s.ports[6] = 4333;
    s.ports[4] = 4333;
    s.advance(1000);
    s.discovery.tick();
    assert.deepEqual(
      s.boxSent(mark).map((d) => [d.family, hex(d.data)]),
      [
        [4, ourAnnouncement(4333)],
        [6, ourAnnouncement(4333)],
      ],
    );
  });

  it('re-announces with the 4.x back-off (0, 10, 30, 70 s), then every refreshIntervalMs', async () => {
    const s = await setup();
    const start = s.now();
    await s.discovery.start();
    const times: number[] = [];
    let mark = 0;
    for (let t = 0; t <= 200; t++) {
      for (const d of s.boxSent(mark)) if (d.family === 4 && hex(d.data) === 'a171') times.push((s.now() - start) / 1000);
      mark = s.lan.sent.length;
      s.advance(1000);
      s.discovery.tick();
    }
    assert.deepEqual(times, [0, 10, 30, 70, 130, 190]);
  });

  it('jitters steady rounds by up to ±10 % with the injected rng', async () => {
    const s = await setup({ refreshIntervalMs: 100_000 }, { random: 0xffff });
    const start = s.now();
    await s.discovery.start();
    const times: number[] = [];
    let mark = 0;
    for (let t = 0; t <= 400; t++) {
      for (const d of s.boxSent(mark)) if (d.family === 4 && hex(d.data) === 'a171') times.push((s.now() - start) / 1000);
      mark = s.lan.sent.length;
      s.advance(1000);
      s.discovery.tick();
    }
    // Back-off 10, 20, 40, 80, then 100 s × 1.1.
    assert.deepEqual(times, [0, 10, 30, 70, 150, 260, 370]);
  });
});

describe('answering queries', () => {
  it('answers a query by unicast to its source, on the family it came from', async () => {
    const s = await setup();
    await s.discovery.start();
    s.lan.deliver();
    s.heard.length = 0;
    s.send(6, payload(vector('02_')));
    s.lan.deliver();
    const replies = s.heard.filter((d) => hex(d.data) !== 'a171');
    assert.deepEqual(
      replies.map((d) => [d.family, d.address, d.port, hex(d.data)]),
      [[6, 'fe80::1%eth0', 8888, ourAnnouncement(4222)]],
    );
    const unicast = s.lan.sent.filter((d) => d.to.address === 'fe80::2%eth0');
    assert.equal(unicast.length, 1);
    assert.equal(s.discovery.status().counters.repliesSent, 1);
  });

  it('does not answer its own looped-back query, nor on a family it does not publish', async () => {
    const s = await setup();
    s.ports[4] = undefined;
    await s.discovery.start();
    s.lan.deliver();
    s.send(4, encodeQuery());
    s.lan.deliver();
    const c = s.discovery.status().counters;
    assert.equal(c.queriesReceived, 3, 'own v4 + own v6 + peer v4');
    assert.equal(c.ignoredSelf, 3, 'own two queries and own v6 announcement');
    assert.equal(c.repliesSent, 0);
    assert.equal(s.lan.sent.filter((d) => d.to.address === '10.0.0.1' || d.to.address === '10.0.0.2').length, 0);
  });

  it('bounds replies per second over all sources', async () => {
    const s = await setup({ maxRepliesPerSecond: 3 });
    await s.discovery.start();
    for (let i = 0; i < 5; i++) s.send(4, encodeQuery());
    assert.equal(s.discovery.status().counters.repliesSent, 3);
    assert.equal(s.discovery.status().counters.repliesRateLimited, 2);
    s.advance(1000);
    s.send(4, encodeQuery());
    assert.equal(s.discovery.status().counters.repliesSent, 4);
  });
});

describe('hearing announcements', () => {
  it('hands dhtnode announcements (vectors 03, 04) to the DHT and lists the node per family', async () => {
    const s = await setup();
    await s.discovery.start();
    s.send(4, payload(vector('03_')));
    s.send(6, payload(vector('04_')));
    assert.deepEqual(s.added, [
      [4, '10.0.0.2', 4301],
      [6, 'fe80::2%eth0', 4301],
    ]);
    const nodes = s.discovery.nearbyNodes();
    assert.deepEqual(
      nodes.map((n) => [n.id, n.family, n.address, n.port]),
      [
        ['4b3a0c4811bd0c2fa2dd1cb4af0e413e172ed759', 4, '10.0.0.2', 4301],
        ['4b3a0c4811bd0c2fa2dd1cb4af0e413e172ed759', 6, 'fe80::2%eth0', 4301],
      ],
    );
    assert.deepEqual(s.discovery.status().nearbyNodes, nodes);
    assert.equal(s.discovery.status().counters.nodesHandedToDht, 2);
  });

  it('skips its own announcement (loopback) and other network ids', async () => {
    const s = await setup({}, { networkId: 7 });
    await s.discovery.start();
    s.lan.deliver();
    assert.equal(s.discovery.status().counters.ignoredSelf >= 2, true, 'own dht announcements came back');
    s.send(4, encodeAnnouncement(new Map([['dht', encodeDhtService({ nodeId: BOX_ID, port: 9, networkId: 7 })]])));
    s.send(4, payload(vector('03_'))); // network 0
    assert.deepEqual(s.added, []);
    assert.equal(s.discovery.nearbyNodes().length, 0);
    assert.equal(s.discovery.status().counters.ignoredOtherNetwork, 1);
    const other = unhex('cd'.repeat(20));
    s.send(4, encodeAnnouncement(new Map([['dht', encodeDhtService({ nodeId: other, port: 5000, networkId: 7 })]])));
    assert.deepEqual(s.added, [[4, '10.0.0.2', 5000]]);
  });

  it('lists Jami accounts (vectors 13, 15) and forgets them after nearbyTtlMs', async () => {
    const s = await setup({ nearbyTtlMs: 60_000 });
    await s.discovery.start();
    s.send(4, payload(vector('13_')));
    const first = s.discovery.nearbyAccounts();
    assert.deepEqual(
      first.map((a) => [a.accountId, a.displayName, a.family, a.address]),
      [['093f14e12449fa31f7a7b6bd5359ae4a68b078b3', 'Alice Example', 4, '10.0.0.2']],
    );
    s.advance(50_000);
    s.send(6, payload(vector('16_'))); // dht+jami: refreshes Alice, adds her DHT node
    assert.deepEqual(s.added, [[6, 'fe80::2%eth0', 4402]]);
    assert.equal(s.discovery.nearbyAccounts()[0]?.family, 6);
    s.advance(59_000);
    s.discovery.tick();
    assert.equal(s.discovery.nearbyAccounts().length, 1, 'refreshed 59 s ago');
    assert.equal(s.discovery.nearbyAccounts()[0]?.firstSeen, first[0]?.firstSeen);
    s.advance(1_000);
    s.discovery.tick();
    assert.equal(s.discovery.nearbyAccounts().length, 0);
    assert.equal(s.discovery.nearbyNodes().length, 0);
    assert.equal(s.discovery.status().counters.nearbyExpired, 2);
  });

  it('keeps a publisher that answers our periodic queries listed, and forgets it once it goes quiet', async () => {
    const s = await setup(); // defaults: rounds every 60 s, entries kept 150 s
    await s.discovery.start();
    let answering = true;
    const alice = payload(vector('15_')); // dht + jami, as a Jami device answers a query
    const tickFor = (seconds: number): void => {
      for (let i = 0; i < seconds; i++) {
        s.advance(1000);
        s.discovery.tick();
        s.lan.deliver();
        const queries = s.heard.filter((d) => hex(d.data) === 'a171').length;
        s.heard.length = 0;
        for (let q = 0; q < queries && answering; q++) s.peer.sendTo(4, alice, '10.0.0.1', 8888);
        s.lan.deliver();
      }
    };
    tickFor(600);
    assert.deepEqual(
      s.discovery.nearbyAccounts().map((a) => a.displayName),
      ['Alice Example'],
    );
    assert.equal(s.discovery.nearbyNodes().length, 1);
    answering = false;
    tickFor(150);
    assert.equal(s.discovery.nearbyAccounts().length, 0);
    assert.equal(s.discovery.nearbyNodes().length, 0);
  });

  it('handles only the first entry of a service and counts unknown services', async () => {
    const s = await setup();
    await s.discovery.start();
    const dht = (port: number): string => hex(encodeDhtService({ nodeId: unhex('01'.repeat(20)), port, networkId: 0 }));
    // A hand-built map with "dht" twice and an unknown service.
    s.send(4, unhex(`83a3646874${dht(1000)}a3646874${dht(2000)}a3666f6fc0`));
    assert.deepEqual(s.added, [[4, '10.0.0.2', 1000]]);
    assert.equal(s.discovery.status().counters.unknownServices, 1);
  });

  it('counts malformed datagrams, other values and invalid services without throwing', async () => {
    const s = await setup();
    await s.discovery.start();
    s.lan.deliver();
    const before = s.discovery.status().counters;
    s.send(4, unhex('81a3646874')); // truncated
    s.send(4, unhex('c1'));
    s.send(4, unhex('a170')); // "p"
    s.send(4, unhex('9100'));
    s.send(4, unhex('81a364687492c0c0')); // dht with nil id
    s.send(4, encodeAnnouncement(new Map([['jami', unhex('92c0a0')]])));
    const c = s.discovery.status().counters;
    assert.equal(c.droppedMalformed - before.droppedMalformed, 2);
    assert.equal(c.droppedUnexpected - before.droppedUnexpected, 2);
    assert.equal(c.invalidServices - before.invalidServices, 2);
    assert.deepEqual(s.added, []);
  });
});

describe('bounds', () => {
  it('drops datagrams larger than maxDatagramBytes unread', async () => {
    const s = await setup({ maxDatagramBytes: 60 });
    await s.discovery.start();
    s.send(4, payload(vector('15_'))); // 74 bytes
    s.send(4, payload(vector('03_'))); // 32 bytes
    assert.equal(s.discovery.status().counters.droppedOversize, 1);
    assert.equal(s.discovery.nearbyAccounts().length, 0);
    assert.equal(s.added.length, 1);
  });

  it('limits datagrams per source per second', async () => {
    const s = await setup({ maxDatagramsPerSourcePerSecond: 5 });
    await s.discovery.start();
    s.lan.deliver();
    for (let i = 0; i < 20; i++) s.send(4, payload(vector('03_')));
    assert.equal(s.added.length, 5);
    assert.equal(s.discovery.status().counters.droppedRateLimited, 15);
    s.advance(400);
    for (let i = 0; i < 20; i++) s.send(4, payload(vector('03_')));
    assert.equal(s.added.length, 7, '0.4 s refills 2 tokens');
  });

  it('limits all sources together', async () => {
    const s = await setup({ maxDatagramsPerSecond: 4, maxDatagramsPerSourcePerSecond: 100 });
    await s.discovery.start();
    s.lan.deliver(); // own 4 datagrams take the budget...
    s.send(4, payload(vector('03_')));
    assert.equal(s.added.length, 0);
    s.advance(500);
    s.send(4, payload(vector('03_')));
    assert.equal(s.added.length, 1);
  });

  it('refuses new nearby entries beyond the list bounds', async () => {
    const s = await setup({ maxNearbyNodes: 2, maxNearbyAccounts: 1 });
    await s.discovery.start();
    for (let i = 1; i <= 3; i++) {
      s.send(4, encodeAnnouncement(new Map([['dht', encodeDhtService({ nodeId: new Uint8Array(20).fill(i), port: 1000 + i, networkId: 0 })]])));
      s.send(4, encodeAnnouncement(new Map([['jami', encodeJamiService({ accountId: new Uint8Array(20).fill(i), displayName: `n${i}` })]])));
    }
    assert.deepEqual(
      s.discovery.nearbyNodes().map((n) => n.port),
      [1001, 1002],
    );
    assert.deepEqual(
      s.discovery.nearbyAccounts().map((a) => a.displayName),
      ['n1'],
    );
    const c = s.discovery.status().counters;
    assert.deepEqual([c.nearbyNodesRefused, c.nearbyAccountsRefused], [1, 2]);
    assert.equal(s.added.length, 3, 'the DHT still hears of every node; it has its own bounds');
  });
});

describe('interfaces and families', () => {
  it('joins new interfaces, leaves vanished ones, and announces on each change', async () => {
    const s = await setup();
    await s.discovery.start();
    let mark = s.lan.sent.length;
    s.setInterfaces(
      table({
        eth0: [
          ['10.0.0.1', 'IPv4'],
          ['fe80::1', 'IPv6'],
        ],
        wlan0: [['10.1.0.1', 'IPv4']],
      }),
    );
    s.advance(1000);
    s.discovery.tick();
    assert.deepEqual(s.discovery.status().ipv4.interfaces, ['eth0', 'wlan0']);
    const round = s.boxSent(mark).map((d) => [d.family, d.via, hex(d.data)]);
    assert.deepEqual(round, [
      [4, 'eth0', 'a171'],
      [4, 'wlan0', 'a171'],
      [4, 'eth0', ourAnnouncement(4222)],
      [4, 'wlan0', ourAnnouncement(4222)],
      [6, 'eth0', 'a171'],
      [6, 'eth0', ourAnnouncement(4222)],
    ]);
    mark = s.lan.sent.length;
    s.setInterfaces(table({ wlan0: [['10.1.0.1', 'IPv4']] }));
    s.advance(1000);
    s.discovery.tick();
    const st = s.discovery.status();
    assert.deepEqual([st.ipv4.interfaces, st.ipv6.interfaces], [['wlan0'], []]);
    assert.deepEqual(
      s.boxSent(mark).map((d) => [d.family, d.via]),
      [
        [4, 'wlan0'],
        [4, 'wlan0'],
      ],
    );
    s.setInterfaces(table({}));
    s.advance(1000);
    s.discovery.tick();
    assert.equal(s.discovery.status().state, 'degraded', 'running but joined nowhere');
  });

  it('keeps working with IPv4 only, and fails to start with no family at all', async () => {
    const s = await setup({}, { families: [4] });
    await s.discovery.start();
    const st = s.discovery.status();
    assert.equal(st.state, 'ok');
    assert.equal(st.ipv6.open, false);
    assert.match(st.ipv6.error ?? '', /IPv6/);
    assert.equal(st.counters.openErrors, 1);
    s.send(4, payload(vector('03_')));
    assert.equal(s.added.length, 1);

    const none = await setup({}, { families: [] });
    await assert.rejects(none.discovery.start(), (err: unknown) => err instanceof DiscoveryError && err.code === 'BIND_FAILED');
  });

  it('rejects invalid options, listing every bad field', () => {
    assert.throws(
      () =>
        createDiscovery(
          { port: 70000, groupIpv4: '10.0.0.1', nearbyTtlMs: -1 },
          { dht: { nodeId: () => BOX_ID, port: () => 1, networkId: 0, addNode: () => undefined } },
        ),
      (err: unknown) => err instanceof DiscoveryError && err.code === 'INVALID_OPTIONS' && /port.*groupIpv4.*nearbyTtlMs/.test(err.message),
    );
  });

  it('does not start twice', async () => {
    const s = await setup();
    await s.discovery.start();
    await assert.rejects(s.discovery.start(), (err: unknown) => err instanceof DiscoveryError && err.code === 'ALREADY_STARTED');
  });
});

describe('failures', () => {
  /** Wraps a transport so that a test can make open/join fail on demand. */
  interface Failures {
    open6: boolean;
    join: Set<string>;
    /** When set, IPv6 opens wait for this promise. */
    gate6?: Promise<void>;
    closed?: Family[];
  }

  function flaky(inner: DiscoveryTransport, fail: Failures): DiscoveryTransport {
    return {
      ...inner,
      async open(family, options, handlers) {
        if (family === 6 && fail.open6) throw new Error('EAFNOSUPPORT');
        if (family === 6 && fail.gate6) await fail.gate6;
        return inner.open(family, options, handlers);
      },
      async close(family) {
        fail.closed?.push(...(family === undefined ? ([4, 6] as const) : [family]));
        return inner.close(family);
      },
      join(family, iface) {
        if (fail.join.has(iface.name)) throw Object.assign(new Error('ENODEV'), { code: 'ENODEV' });
        inner.join(family, iface);
      },
    };
  }

  async function flakySetup(fail: Failures, options: DiscoveryOptions = {}) {
    const lan = createMemoryLan();
    let now = 0;
    let ifaces = table({
      eth0: [
        ['10.0.0.1', 'IPv4'],
        ['fe80::1', 'IPv6'],
      ],
    });
    const errors: string[] = [];
    const discovery = createDiscovery(options, {
      dht: {
        nodeId: () => BOX_ID,
        port: () => 4222,
        networkId: 0,
        addNode: () => {
          throw new Error('DHT is closing');
        },
      },
      transport: flaky(lan.transport({ 4: '10.0.0.1', 6: 'fe80::1%eth0' }), fail),
      clock: { now: () => now },
      rng: (n) => new Uint8Array(n),
      interfaces: () => ifaces,
      logger: { debug: () => undefined, info: () => undefined, warn: (_o, msg) => errors.push(msg ?? ''), error: () => undefined },
    });
    const peer = lan.transport({ 4: '10.0.0.2' });
    await peer.open(4, { port: 8888, group: GROUP[4] }, { onDatagram: () => undefined, onError: () => undefined });
    peer.join(4, ETH0[4]);
    return {
      lan,
      discovery,
      errors,
      peer,
      advance: (ms: number) => (now += ms),
      setInterfaces: (t: InterfaceTable) => (ifaces = t),
    };
  }

  it('opens a family that failed at start once reopenIntervalMs has passed, then joins and announces', async () => {
    const fail = { open6: true, join: new Set<string>() };
    const s = await flakySetup(fail, { reopenIntervalMs: 30_000 });
    await s.discovery.start();
    assert.equal(s.discovery.status().ipv6.open, false);
    fail.open6 = false;
    s.advance(10_000);
    s.discovery.tick();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(s.discovery.status().ipv6.open, false, 'too early to retry');
    s.advance(20_000);
    const mark = s.lan.sent.length;
    s.discovery.tick();
    await new Promise((resolve) => setImmediate(resolve));
    const st = s.discovery.status();
    assert.equal(st.ipv6.open, true);
    assert.equal(st.ipv6.error, undefined);
    assert.deepEqual(st.ipv6.interfaces, ['eth0']);
    assert.ok(
      s.lan.sent.slice(mark).some((d) => d.family === 6 && hex(d.data) === 'a171'),
      'IPv6 query sent',
    );
  });

  it('closes a socket whose retried open completes after stop()', async () => {
    let release = (): void => undefined;
    const fail: Failures = { open6: true, join: new Set(), closed: [] };
    const s = await flakySetup(fail, { reopenIntervalMs: 1000 });
    await s.discovery.start();
    fail.open6 = false;
    fail.gate6 = new Promise((resolve) => (release = resolve));
    s.advance(1000);
    s.discovery.tick(); // retry starts, waits on the gate
    await s.discovery.stop();
    fail.closed = [];
    release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(fail.closed, [6]);
    assert.equal(s.discovery.status().ipv6.open, false);
  });

  it('counts a failed join and retries it only when the interface set changes', async () => {
    const fail = { open6: false, join: new Set(['wlan0']) };
    const s = await flakySetup(fail);
    s.setInterfaces(table({ eth0: [['10.0.0.1', 'IPv4']], wlan0: [['10.1.0.1', 'IPv4']] }));
    await s.discovery.start();
    assert.equal(s.discovery.status().counters.joinErrors, 1);
    assert.deepEqual(s.discovery.status().ipv4.interfaces, ['eth0']);
    fail.join.clear();
    s.advance(1000);
    s.discovery.tick();
    assert.equal(s.discovery.status().counters.joinErrors, 1);
    assert.deepEqual(s.discovery.status().ipv4.interfaces, ['eth0'], 'not retried on every tick');
    s.setInterfaces(table({ eth0: [['10.0.0.1', 'IPv4']], wlan0: [['10.1.0.9', 'IPv4']] }));
    s.advance(1000);
    s.discovery.tick();
    assert.deepEqual(s.discovery.status().ipv4.interfaces, ['eth0', 'wlan0']);
    assert.ok(s.errors.includes('cannot join discovery group'));
  });

  it('survives a DHT whose addNode throws', async () => {
    const s = await flakySetup({ open6: false, join: new Set() });
    await s.discovery.start();
    s.peer.sendToGroup(4, payload(vector('03_')), ETH0[4]);
    s.lan.deliver();
    assert.equal(s.discovery.nearbyNodes().length, 1);
    assert.equal(s.discovery.status().counters.nodesHandedToDht, 0);
    assert.ok(s.errors.includes('dht.addNode failed'));
  });

  it('keeps its groups when listing the interfaces fails', async () => {
    const s = await setup();
    await s.discovery.start();
    const failing = new Proxy({} as InterfaceTable, {
      ownKeys() {
        throw new Error('uv_interface_addresses failed');
      },
    });
    s.setInterfaces(failing);
    s.advance(1000);
    s.discovery.tick();
    const st = s.discovery.status();
    assert.deepEqual([st.ipv4.interfaces, st.ipv6.interfaces], [['eth0'], ['eth0']]);
  });

  it('can be stopped and started again', async () => {
    const s = await setup();
    await s.discovery.start();
    s.send(4, payload(vector('13_')));
    assert.equal(s.discovery.nearbyAccounts().length, 1);
    await s.discovery.stop();
    assert.equal(s.discovery.nearbyAccounts().length, 0);
    const mark = s.lan.sent.length;
    s.send(4, payload(vector('13_')));
    assert.equal(s.discovery.nearbyAccounts().length, 0, 'nothing heard while stopped');
    await s.discovery.start();
    assert.equal(s.boxSent(mark).length, 4, 'a fresh start round on both families');
    s.send(4, payload(vector('13_')));
    assert.equal(s.discovery.nearbyAccounts().length, 1);
  });
});
