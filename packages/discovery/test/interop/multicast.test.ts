/**
 * Real multicast between two network namespaces (needs root): our discovery (child process in
 * namespace a) against a real `dhtnode -D` (Debian 2.4.12) and crafted Jami announcements
 * (namespace b).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeAnnouncement, encodeDhtService } from '../../src/codec/messages.js';
import { decodeMsgpack, type MsgValue } from '../../src/codec/msgpack.js';
import { createLan, createStar, execIn, freeUdpPort, JsonLines, spawnIn, stopProcess, type Lan, type LanHost, type Star } from '../netns.js';
import { hex, unhex, vector } from '../vectors.js';

const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const BOX_ID = '5a'.repeat(20);
const NODE = [process.execPath, '--conditions=lanbox-source', '--import', 'tsx'] as const;

interface AddNodeLine {
  type: 'addNode';
  family: 4 | 6;
  address: string;
  port: number;
}
interface DhtDatagramLine {
  type: 'dht-datagram';
  family: 4 | 6;
  address: string;
  port: number;
  hex: string;
}
interface StatusLine {
  type: 'status';
  nearbyNodes: Array<{ id: string; family: 4 | 6; address: string; port: number }>;
  nearbyAccounts: Array<{ accountId: string; displayName: string; family: 4 | 6 }>;
}
interface ReadyLine {
  type: 'ready';
  dhtPort: number;
}

const is =
  <T extends { type: string }>(type: T['type'], extra: (l: T) => boolean = () => true) =>
  (l: unknown): l is T =>
    typeof l === 'object' && l !== null && (l as { type?: unknown }).type === type && extra(l as T);

let lan: Lan;
const children: ChildProcess[] = [];

before(async () => {
  lan = await createLan();
});
afterEach(async () => {
  for (const c of children.splice(0)) await stopProcess(c);
});
after(async () => {
  for (const c of children.splice(0)) await stopProcess(c);
  await lan?.destroy();
});

async function startBox(options: object = {}, ns = lan.a.ns): Promise<{ lines: JsonLines; dhtPort: number; child: ChildProcess }> {
  const config = { nodeIdHex: BOX_ID, networkId: 0, tickMs: 100, options };
  const child = spawnIn(ns, NODE[0], [...NODE.slice(1), 'test/fixtures/discovery-node.ts', JSON.stringify(config)], {
    cwd: PACKAGE_DIR,
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = new JsonLines(child);
  const ready = await lines.waitFor(is<ReadyLine>('ready'), 15_000, 'discovery child ready').catch((err: Error) => {
    throw new Error(`${err.message}; stderr: ${stderr}`);
  });
  return { lines, dhtPort: ready.dhtPort, child };
}

function startDhtnode(port: number, ns = lan.b.ns): ChildProcess {
  const child = spawnIn(ns, 'dhtnode', ['-s', '-D', '-p', String(port)]);
  children.push(child);
  return child;
}

/** Sends one datagram from namespace b and returns what came back within waitMs. */
async function probeFromB(probe: object, ns = lan.b.ns): Promise<Array<{ address: string; port: number; hex: string }>> {
  const res = await execIn(ns, NODE[0], [...NODE.slice(1), 'test/fixtures/udp-probe.ts', JSON.stringify(probe)], {
    cwd: PACKAGE_DIR,
    timeoutMs: 20_000,
  });
  assert.equal(res.code, 0, res.stderr);
  return res.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { address: string; port: number; hex: string });
}

/** The sender id in an OpenDHT RPC datagram: `{"a"|"r": {"id": bin(20), ...}, ...}`. */
function rpcSenderId(datagramHex: string): string | undefined {
  const res = decodeMsgpack(unhex(datagramHex));
  if (!res.ok) return undefined;
  const get = (v: MsgValue, key: string): MsgValue | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && v.kind === 'map'
      ? v.entries.find(([k]) => k === key)?.[1]
      : undefined;
  const body = get(res.value, 'a') ?? get(res.value, 'r');
  const id = body === undefined ? undefined : get(body, 'id');
  return id instanceof Uint8Array ? hex(id) : undefined;
}

/** Whether `address` (as seen on the other end of the link) is one of `host`'s. */
const isHost = (host: LanHost, address: string): boolean => [host.ipv4, host.ipv6, host.linkLocal].includes(address.split('%')[0] as string);
const fromB = (address: string): boolean => isHost(lan.b, address);

describe('real multicast against dhtnode 2.4.12 in network namespaces', { timeout: 120_000 }, () => {
  it('a dhtnode started first answers our query, and learns of us from our announcement', async () => {
    const port = await freeUdpPort(lan.b.ns);
    startDhtnode(port);
    // dhtnode's own start-up announcement is lost (we are not running yet): what we find
    // below can only come from its unicast reply to our query.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { lines, dhtPort } = await startBox();
    const v4 = await lines.waitFor(
      is<AddNodeLine>('addNode', (l) => l.family === 4),
      10_000,
      'IPv4 addNode',
    );
    assert.deepEqual([v4.address, v4.port], [lan.b.ipv4, port]);
    const v6 = await lines.waitFor(
      is<AddNodeLine>('addNode', (l) => l.family === 6),
      10_000,
      'IPv6 addNode',
    );
    assert.ok(fromB(v6.address), v6.address);
    assert.equal(v6.port, port);
    const listed = await lines.waitFor(
      is<StatusLine>('status', (l) => l.nearbyNodes.length === 2),
      10_000,
      'nearby nodes',
    );
    const [n4, n6] = [4, 6].map((f) => listed.nearbyNodes.find((n) => n.family === f));
    assert.ok(n4 && n6);
    assert.equal(n4.id, n6.id);
    assert.deepEqual([n4.address, n4.port], [lan.b.ipv4, port]);
    // dhtnode inserted us from our announcement and contacts our (fake) DHT port; the id it
    // sends is the one it announced.
    const ping = await lines.waitFor(
      is<DhtDatagramLine>('dht-datagram', (l) => l.port === port && fromB(l.address)),
      15_000,
      'a DHT datagram from dhtnode on our announced port',
    );
    assert.equal(rpcSenderId(ping.hex), n4.id);
    assert.ok(dhtPort > 0);
  });

  it('hears the multicast announcement of a dhtnode started later, which learns of us from our reply', async () => {
    const { lines } = await startBox();
    const port = await freeUdpPort(lan.b.ns);
    startDhtnode(port);
    const v4 = await lines.waitFor(
      is<AddNodeLine>('addNode', (l) => l.family === 4),
      10_000,
      'IPv4 addNode',
    );
    assert.deepEqual([v4.address, v4.port], [lan.b.ipv4, port]);
    await lines.waitFor(
      is<AddNodeLine>('addNode', (l) => l.family === 6 && l.port === port),
      10_000,
      'IPv6 addNode',
    );
    const ping = await lines.waitFor(
      is<DhtDatagramLine>('dht-datagram', (l) => l.port === port && fromB(l.address)),
      15_000,
      'a DHT datagram from dhtnode',
    );
    const listed = await lines.waitFor(
      is<StatusLine>('status', (l) => l.nearbyNodes.length === 2),
      10_000,
      'nearby nodes',
    );
    assert.equal(rpcSenderId(ping.hex), listed.nearbyNodes[0]?.id);
  });

  it('shares port 8888 with a dhtnode on the same host and hears it through multicast loopback', async () => {
    const { lines } = await startBox();
    const port = await freeUdpPort(lan.a.ns);
    const child = spawnIn(lan.a.ns, 'dhtnode', ['-s', '-D', '-p', String(port)]);
    children.push(child);
    // dhtnode could bind 8888 next to us (both use SO_REUSEADDR), else it would not announce.
    const v4 = await lines.waitFor(
      is<AddNodeLine>('addNode', (l) => l.family === 4 && l.port === port),
      10_000,
      'local dhtnode',
    );
    assert.equal(v4.address, lan.a.ipv4);
    assert.equal(child.exitCode, null, 'dhtnode still running');
  });

  it('lists a Jami account announced from the other namespace, then forgets it', async () => {
    const { lines } = await startBox({ nearbyTtlMs: 2500 });
    const sentAt = Date.now();
    const replies = await probeFromB({
      family: 4,
      to: '239.192.0.1',
      port: 8888,
      iface: lan.b.ipv4,
      hex: vector('13_').payload_hex,
      waitMs: 100,
    });
    assert.deepEqual(replies, [], 'an announcement gets no answer');
    const seen = await lines.waitFor(
      is<StatusLine>('status', (l) => l.nearbyAccounts.length === 1),
      5000,
      'Alice listed',
    );
    assert.deepEqual(
      seen.nearbyAccounts.map((a) => [a.accountId, a.displayName, a.family]),
      [['093f14e12449fa31f7a7b6bd5359ae4a68b078b3', 'Alice Example', 4]],
    );
    await probeFromB({ family: 6, to: 'ff08::101', port: 8888, iface: `::%${lan.b.iface}`, hex: vector('20_').payload_hex, waitMs: 100 });
    await lines.waitFor(
      is<StatusLine>('status', (l) => l.nearbyAccounts.some((a) => a.displayName === 'Bob Ex' && a.family === 6)),
      5000,
      'Bob listed',
    );
    const listedAt = lines.mark();
    await lines.waitFor(
      is<StatusLine>('status', (l) => l.nearbyAccounts.length === 0),
      10_000,
      'accounts expired',
      listedAt,
    );
    assert.ok(Date.now() - sentAt >= 2500, 'not before the TTL');
  });

  it('answers a query by unicast, also to an IPv6 link-local source', async () => {
    const { dhtPort } = await startBox();
    const expected = hex(encodeAnnouncement(new Map([['dht', encodeDhtService({ nodeId: unhex(BOX_ID), port: dhtPort, networkId: 0 })]])));
    const v4 = await probeFromB({ family: 4, to: '239.192.0.1', port: 8888, iface: lan.b.ipv4, hex: 'a171', waitMs: 1500 });
    assert.deepEqual(v4, [{ type: 'reply', address: lan.a.ipv4, port: 8888, hex: expected }]);
    const v6 = await probeFromB({
      family: 6,
      to: 'ff08::101',
      port: 8888,
      iface: `::%${lan.b.iface}`,
      bindAddress: `${lan.b.linkLocal}%${lan.b.iface}`,
      hex: 'a171',
      waitMs: 1500,
    });
    assert.equal(v6.length, 1);
    assert.equal(v6[0]?.hex, expected);
    assert.equal(v6[0]?.port, 8888);
    assert.equal(v6[0]?.address.split('%')[0], lan.a.linkLocal);
  });
});

describe('real multicast on a box with two LAN interfaces', { timeout: 120_000 }, () => {
  let star: Star;
  before(async () => {
    star = await createStar(2);
  });
  after(async () => {
    for (const c of children.splice(0)) await stopProcess(c);
    await star?.destroy();
  });

  it('queries, announces and listens on every interface, not only the routed one', async () => {
    const ports: number[] = [];
    for (const leaf of star.leaves) {
      const port = await freeUdpPort(leaf.ns);
      ports.push(port);
      startDhtnode(port, leaf.ns);
    }
    // Both dhtnodes announced before we run: we can only find them through our query, which
    // must go out of each interface (the hub routes 224.0.0.0/4 to link 0 only).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const hubNs = star.hub[0]?.ns as string;
    const { lines } = await startBox({}, hubNs);
    for (const [i, leaf] of star.leaves.entries()) {
      const found = await lines.waitFor(
        is<AddNodeLine>('addNode', (l) => l.family === 4 && l.address === leaf.ipv4),
        10_000,
        `dhtnode on link ${i}`,
      );
      assert.equal(found.port, ports[i]);
      await lines.waitFor(
        is<AddNodeLine>('addNode', (l) => l.family === 6 && l.port === ports[i]),
        10_000,
        `dhtnode on link ${i} over IPv6`,
      );
      // Each dhtnode learnt of us from our multicast announcement on its link.
      await lines.waitFor(
        is<DhtDatagramLine>('dht-datagram', (l) => l.port === ports[i] && isHost(leaf, l.address)),
        15_000,
        `a DHT datagram from the dhtnode on link ${i}`,
      );
    }
    const leaf1 = star.leaves[1];
    assert.ok(leaf1);
    await probeFromB({ family: 4, to: '239.192.0.1', port: 8888, iface: leaf1.ipv4, hex: vector('13_').payload_hex, waitMs: 100 }, leaf1.ns);
    await lines.waitFor(
      is<StatusLine>('status', (l) => l.nearbyAccounts.some((a) => a.displayName === 'Alice Example')),
      5000,
      'an account announced on link 1',
    );
  });
});
