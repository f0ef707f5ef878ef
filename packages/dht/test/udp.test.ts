import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { decodeMessage, encodeMessage, makeValue, sha1 } from '../src/codec/index.js';
import { createDhtNode, createUdpTransport, type DhtNode } from '../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * The IPv6 half of these tests is required, not optional: a host without IPv6 loopback would
 * otherwise hide an IPv6 regression behind a green run. CI machines have ::1; say so plainly
 * when one does not.
 */
async function requireIpv6Loopback(): Promise<void> {
  const socket = createSocket({ type: 'udp6', ipv6Only: true });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '::1', () => resolve());
    });
  } catch (err) {
    throw new Error(`these tests need IPv6 loopback (::1) and this host has none (${String(err)}); enable IPv6 on lo (sysctl net.ipv6.conf.lo.disable_ipv6=0)`);
  } finally {
    socket.close();
  }
}

describe('real UDP on loopback', () => {
  let a: DhtNode;
  let b: DhtNode;
  before(async () => {
    await requireIpv6Loopback();
    a = createDhtNode({ port: 0, bind4: '127.0.0.1', bind6: '::1', rateLimit: null });
    await a.start();
    b = createDhtNode({ port: 0, bind4: '127.0.0.1', bind6: '::1', bootstrap: [`127.0.0.1:${a.port(4)}`] });
    await b.start();
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('binds one port for both families', () => {
    const p4 = a.port(4);
    assert.ok(p4 && p4 > 0);
    assert.equal(a.port(6), p4, 'IPv6 bound on the same port');
  });

  it('answers a raw ping with a pong', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const id = new Uint8Array(20).fill(0x42);
    const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    socket.send(
      encodeMessage({ tid: 77, networkId: 0, client: false, userAgent: 'o2', kind: 'request', request: { type: 'ping', id } }),
      a.port(4)!,
      '127.0.0.1',
    );
    const decoded = decodeMessage(await reply);
    socket.close();
    assert.ok(decoded.ok);
    assert.equal(decoded.value.kind, 'reply');
    assert.equal(decoded.value.tid, 77);
    if (decoded.value.kind === 'reply') {
      assert.equal(hex(decoded.value.reply.id), hex(a.id));
      assert.equal(decoded.value.reply.seenAddress, '127.0.0.1');
    }
  });

  it('pings over IPv4 and IPv6, and stores a value on the other node', async () => {
    assert.equal(hex((await b.ping(4, '127.0.0.1', a.port(4)!))!), hex(a.id));
    assert.notEqual(b.port(6), null, 'IPv6 bound');
    assert.equal(hex((await b.ping(6, '::1', a.port(6)!))!), hex(a.id));
    const key = sha1('udp-test');
    const value = makeValue({ id: 1234n, body: { type: 0, data: new Uint8Array(2500).fill(9) } });
    const { acks } = await b.put(key, value);
    assert.ok(acks >= 1);
    assert.equal(a.status().storage.values, 1);
    const got = await a.get(key);
    assert.deepEqual(
      got.map((v) => v.id),
      [1234n],
    );
  });

  it('picks a port free for both families when asked for port 0, and keeps working with one family', async () => {
    const t = createUdpTransport({ port: 0, bind4: '127.0.0.1', bind6: null });
    await t.bind();
    assert.ok(t.localPort(4));
    assert.equal(t.localPort(6), null);
    await t.close();
    // IPv6 address that cannot be bound: IPv4 still works.
    const u = createUdpTransport({ port: 0, bind4: '127.0.0.1', bind6: '2001:db8::dead' });
    await u.bind();
    assert.ok(u.localPort(4));
    assert.equal(u.localPort(6), null);
    await u.close();
    // Nothing bindable at all is an error.
    const v = createUdpTransport({ port: 0, bind4: '192.0.2.1', bind6: null });
    await assert.rejects(v.bind());
  });
});
