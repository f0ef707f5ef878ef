/**
 * The responder on real sockets (loopback, a free port) asked by the real `dig`, forwarding to a
 * real dnsmasq (loopback, free port) as upstream; malformed and oversized datagrams in between.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { createJamiDns, createUdpTransport, type JamiDns } from '../../src/index.js';
import { dig } from '../dig.js';

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function sendRaw(port: number, bytes: Uint8Array): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r, j) => s.send(bytes, port, '127.0.0.1', (e) => (e ? j(e) : r())));
  s.close();
}

let upstreamPort = 0;
let dnsmasq: ChildProcess | null = null;
let plain: JamiDns;
let plainPort = 0;
let forwarding: JamiDns;
let forwardingPort = 0;
let silent: JamiDns;
let silentPort = 0;
let ticker: NodeJS.Timeout;

before(async () => {
  upstreamPort = await freeUdpPort();
  // A real resolver as upstream: answers example.lan itself, REFUSED/no answer for nothing else.
  dnsmasq = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--no-daemon',
      '--no-resolv',
      '--no-hosts',
      '--conf-file=/dev/null',
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${upstreamPort}`,
      '--address=/example.lan/10.9.9.9',
      '--address=/example.lan/fd09::9',
      '--user=root',
      '--pid-file=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const start = async (upstream: { host: string; port: number } | null) => {
    const dns = createJamiDns({ upstream, forwardTimeoutMs: 1500 }, { transport: createUdpTransport({ port: 0, bind: '127.0.0.1' }) });
    await dns.start();
    return { dns, port: dns.status().listening?.port ?? 0 };
  };
  ({ dns: plain, port: plainPort } = await start(null));
  ({ dns: forwarding, port: forwardingPort } = await start({ host: '127.0.0.1', port: upstreamPort }));
  // An upstream port where nothing answers: a UDP port we bound and closed.
  ({ dns: silent, port: silentPort } = await start({ host: '127.0.0.1', port: await freeUdpPort() }));
  ticker = setInterval(() => {
    plain.tick();
    forwarding.tick();
    silent.tick();
  }, 200);
  // Wait (bounded) until dnsmasq answers.
  for (let i = 0; i < 50; i++) {
    if ((await dig('127.0.0.1', upstreamPort, 'x.example.lan', 'A')).status === 'NOERROR') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('dnsmasq did not come up');
});

after(async () => {
  clearInterval(ticker);
  await Promise.all([plain?.stop(), forwarding?.stop(), silent?.stop()]);
  if (dnsmasq?.exitCode === null) {
    dnsmasq.kill('SIGTERM');
    await once(dnsmasq, 'exit');
  }
});

describe('dig against the responder', () => {
  for (const name of ['bootstrap.jami.net', 'turn.jami.net', 'dhtproxy.jami.net']) {
    it(`${name}: A 127.0.0.1 and AAAA ::1 for a loopback client (lo's addresses)`, async () => {
      const a = await dig('127.0.0.1', plainPort, name, 'A');
      assert.deepEqual([a.status, a.records, a.flags.includes('aa')], ['NOERROR', ['127.0.0.1'], true]);
      const aaaa = await dig('127.0.0.1', plainPort, name, 'AAAA');
      assert.deepEqual([aaaa.status, aaaa.records, aaaa.flags.includes('aa')], ['NOERROR', ['::1'], true]);
    });
  }

  it('config.jami.net and ns.jami.net: NXDOMAIN (both types); other names REFUSED', async () => {
    for (const type of ['A', 'AAAA']) {
      assert.equal((await dig('127.0.0.1', plainPort, 'config.jami.net', type)).status, 'NXDOMAIN');
      assert.equal((await dig('127.0.0.1', plainPort, 'ns.jami.net', type)).status, 'NXDOMAIN');
      assert.equal((await dig('127.0.0.1', plainPort, 'example.org', type)).status, 'REFUSED');
    }
  });

  it('with an upstream: other names are answered by it, Jami names still by the box', async () => {
    const a = await dig('127.0.0.1', forwardingPort, 'host.example.lan', 'A');
    assert.deepEqual([a.status, a.records], ['NOERROR', ['10.9.9.9']]);
    const aaaa = await dig('127.0.0.1', forwardingPort, 'host.example.lan', 'AAAA');
    assert.deepEqual([aaaa.status, aaaa.records], ['NOERROR', ['fd09::9']]);
    // dnsmasq without upstream servers answers REFUSED for what it does not know; relayed as is.
    assert.equal((await dig('127.0.0.1', forwardingPort, 'example.org', 'A')).status, 'REFUSED');
    assert.deepEqual((await dig('127.0.0.1', forwardingPort, 'bootstrap.jami.net', 'A')).records, ['127.0.0.1']);
    assert.equal((await dig('127.0.0.1', forwardingPort, 'config.jami.net', 'A')).status, 'NXDOMAIN');
    const c = forwarding.status().counters;
    assert.ok(c.forwarded >= 3 && c.relayed >= 3, JSON.stringify(c));
  });

  it('an upstream that never answers: SERVFAIL before dig gives up, never a timeout', async () => {
    const r = await dig('127.0.0.1', silentPort, 'example.org', 'A');
    assert.equal(r.status, 'SERVFAIL');
    assert.equal(silent.status().counters.forwardTimeouts, 1);
  });

  it('malformed and oversized datagrams: answered or dropped, and the next query answered at once', async () => {
    const junk = [
      new Uint8Array(0),
      new Uint8Array(5),
      Uint8Array.from({ length: 60 }, (_, i) => (i * 37) & 0xff),
      new Uint8Array(4000).fill(0x41),
      new Uint8Array(65_000).fill(0xff),
      Uint8Array.of(0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1), // name points at itself
    ];
    const before = plain.status().counters;
    for (const bytes of junk) await sendRaw(plainPort, bytes);
    const a = await dig('127.0.0.1', plainPort, 'bootstrap.jami.net', 'A');
    assert.deepEqual(a.records, ['127.0.0.1']);
    const after = plain.status().counters;
    assert.equal(after.received - before.received, junk.length + 1);
    assert.ok(after.tooLarge - before.tooLarge >= 1);
    assert.ok(after.formerr - before.formerr >= 3);
  });
});
