import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJamiDns, createMemoryTransport, type Endpoint, type InterfaceTable, type JamiDnsOptions } from '../src/index.js';
import { decode, query, TWO_LANS } from './queries.js';

const phone1: Endpoint = { address: '10.1.0.50', port: 40000, family: 4 };
const phone2: Endpoint = { address: '192.168.7.20', port: 40001, family: 4 };
const phone1v6: Endpoint = { address: 'fd01::50', port: 40002, family: 6 };
const upstream: Endpoint = { address: '10.1.0.254', port: 53, family: 4 };

async function setup(options: Partial<JamiDnsOptions> = {}, table: InterfaceTable = TWO_LANS) {
  const transport = createMemoryTransport();
  let now = 1_000_000;
  let interfaces = table;
  let seq = 0;
  const dns = createJamiDns(options, {
    transport,
    clock: { now: () => now },
    interfaces: () => interfaces,
    rng: () => Uint8Array.of(0xab, seq++ & 0xff),
  });
  await dns.start();
  const ask = (bytes: Uint8Array, from: Endpoint = phone1) => {
    transport.query(bytes, from);
    return transport.take();
  };
  const answer = (name: string, type: 'A' | 'AAAA' | 'TXT' | 'ANY' = 'A', from: Endpoint = phone1) => {
    const sent = ask(query(name, type), from);
    assert.equal(sent.length, 1, `exactly one datagram for ${name} ${type}`);
    assert.equal(sent[0]?.kind, 'reply');
    assert.deepEqual(sent[0]?.to, from);
    return decode(sent[0]!.bytes);
  };
  return {
    dns,
    transport,
    ask,
    answer,
    advance: (ms: number) => (now += ms),
    setInterfaces: (t: InterfaceTable) => (interfaces = t),
  };
}

describe('Jami names', () => {
  for (const name of ['bootstrap.jami.net', 'turn.jami.net', 'dhtproxy.jami.net']) {
    it(`${name}: A and AAAA are the box's addresses on the client's subnet`, async () => {
      const t = await setup();
      const a1 = t.answer(name, 'A', phone1);
      assert.deepEqual([a1.rcode, a1.aa, a1.a, a1.aaaa, a1.id, a1.question], ['NOERROR', true, ['10.1.0.1'], [], 0x1234, name]);
      assert.deepEqual(t.answer(name, 'AAAA', phone1).aaaa, ['fd01::1']);
      assert.deepEqual(t.answer(name, 'A', phone2).a, ['192.168.7.1']);
      // The second LAN has only link-local IPv6, which an answer cannot carry: NOERROR, no record.
      const noData = t.answer(name, 'AAAA', phone2);
      assert.deepEqual([noData.rcode, noData.aaaa], ['NOERROR', []]);
      // A client asking over IPv6 gets the IPv4 address of the same link, and the other way round.
      assert.deepEqual(t.answer(name, 'A', phone1v6).a, ['10.1.0.1']);
      assert.deepEqual(t.answer(name, 'AAAA', phone1v6).aaaa, ['fd01::1']);
    });
  }

  it('matches names case-insensitively and echoes the question as sent', async () => {
    const t = await setup();
    const r = t.answer('BootStrap.Jami.NET.', 'A');
    assert.equal(r.question, 'BootStrap.Jami.NET');
    assert.deepEqual(r.a, ['10.1.0.1']);
  });

  it('a link-local client gets the addresses of the link its scope names', async () => {
    const t = await setup();
    const r = t.answer('turn.jami.net', 'AAAA', { address: 'fe80::99%eth0', port: 1, family: 6 });
    assert.deepEqual(r.aaaa, ['fd01::1']);
    assert.deepEqual(t.answer('turn.jami.net', 'A', { address: 'fe80::99%wlan0', port: 1, family: 6 }).a, ['192.168.7.1']);
  });

  it('a loopback client gets loopback addresses; a routed client every LAN address', async () => {
    const t = await setup();
    assert.deepEqual(t.answer('bootstrap.jami.net', 'A', { address: '127.0.0.1', port: 5, family: 4 }).a, ['127.0.0.1']);
    assert.deepEqual(t.answer('bootstrap.jami.net', 'AAAA', { address: '::1', port: 5, family: 6 }).aaaa, ['::1']);
    assert.deepEqual(t.answer('bootstrap.jami.net', 'A', { address: '172.20.0.9', port: 5, family: 4 }).a, ['10.1.0.1', '192.168.7.1']);
  });

  it('follows addresses as they come and go (after the interface cache expires)', async () => {
    const t = await setup();
    assert.deepEqual(t.answer('bootstrap.jami.net', 'A', phone2).a, ['192.168.7.1']);
    t.setInterfaces({ ...TWO_LANS, wlan0: [{ address: '192.168.7.2', netmask: '255.255.255.0', family: 'IPv4', internal: false, cidr: '192.168.7.2/24' }] });
    t.advance(1000);
    assert.deepEqual(t.answer('bootstrap.jami.net', 'A', phone2).a, ['192.168.7.2']);
    t.setInterfaces({ lo: TWO_LANS.lo, eth0: TWO_LANS.eth0 });
    t.advance(1000);
    // wlan0 is gone: the client is on no subnet of the box any more and gets the remaining LAN.
    assert.deepEqual(t.answer('bootstrap.jami.net', 'A', phone2).a, ['10.1.0.1']);
  });

  it('a fixed address (the box bound to one address) is the only answer', async () => {
    const t = await setup({ fixedAddress: '10.1.0.1' });
    assert.deepEqual(t.answer('bootstrap.jami.net', 'A', phone2).a, ['10.1.0.1']);
    assert.deepEqual(t.answer('bootstrap.jami.net', 'AAAA', phone2).aaaa, []);
  });

  it('other types of the box names: NOERROR without records; ANY: both families', async () => {
    const t = await setup();
    const txt = t.answer('bootstrap.jami.net', 'TXT');
    assert.deepEqual([txt.rcode, txt.a, txt.aaaa], ['NOERROR', [], []]);
    const any = t.answer('bootstrap.jami.net', 'ANY');
    assert.deepEqual([any.a, any.aaaa], [['10.1.0.1'], ['fd01::1']]);
  });

  it('config.jami.net is NXDOMAIN at once, with or without an upstream', async () => {
    for (const options of [{}, { upstream: { host: upstream.address, port: upstream.port } }]) {
      const t = await setup(options);
      for (const type of ['A', 'AAAA'] as const) {
        const r = t.answer('config.jami.net', type);
        assert.deepEqual([r.rcode, r.aa, r.a, r.aaaa], ['NXDOMAIN', true, [], []]);
      }
    }
  });

  it('ns.jami.net: NXDOMAIN without upstream, forwarded with one', async () => {
    const t = await setup();
    assert.equal(t.answer('ns.jami.net', 'A').rcode, 'NXDOMAIN');
    assert.equal(t.answer('ns.jami.net', 'AAAA').rcode, 'NXDOMAIN');
    const f = await setup({ upstream: { host: upstream.address, port: upstream.port } });
    const sent = f.ask(query('ns.jami.net'));
    assert.equal(sent[0]?.kind, 'forward');
  });

  it('EDNS queries get an OPT record back', async () => {
    const t = await setup();
    const sent = t.ask(query('turn.jami.net', 'A', { edns: true }));
    assert.equal(decode(sent[0]!.bytes).edns, true);
    assert.equal(decode(t.ask(query('turn.jami.net', 'A'))[0]!.bytes).edns, false);
  });
});

describe('other names', () => {
  it('without upstream: REFUSED at once', async () => {
    const t = await setup();
    for (const name of ['example.org', 'jami.net', 'www.jami.net', '.']) {
      const r = t.answer(name, 'A');
      assert.deepEqual([r.rcode, r.aa, r.a], ['REFUSED', false, []]);
    }
    assert.equal(t.dns.status().counters.refused, 4);
  });

  it('with an upstream: forwarded under a new id, the reply relayed with the client id', async () => {
    const t = await setup({ upstream: { host: upstream.address, port: upstream.port } });
    const sent = t.ask(query('example.org', 'A', { id: 77 }));
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.kind, 'forward');
    assert.deepEqual(sent[0]?.to, upstream);
    const forwarded = decode(sent[0]!.bytes);
    assert.notEqual(forwarded.id, 77);
    const reply = (id: number, name = 'example.org') => {
      const r = query(name, 'A', { id });
      r[2] = (r[2] ?? 0) | 0x80; // QR
      return r;
    };
    // A reply from elsewhere, with an unknown id or for another question is ignored.
    t.transport.upstream(reply(forwarded.id), { ...upstream, address: '10.1.0.99' });
    t.transport.upstream(reply(forwarded.id + 1), upstream);
    t.transport.upstream(reply(forwarded.id, 'example.com'), upstream);
    assert.equal(t.transport.take().length, 0);
    assert.equal(t.dns.status().counters.upstreamIgnored, 3);
    t.transport.upstream(reply(forwarded.id), upstream);
    const relayed = t.transport.take();
    assert.equal(relayed.length, 1);
    assert.deepEqual(relayed[0]?.to, phone1);
    assert.equal(decode(relayed[0]!.bytes).id, 77);
    assert.equal(t.dns.status().pendingForwards, 0);
  });

  it('an upstream that stays silent gets the client a SERVFAIL after the timeout', async () => {
    const t = await setup({ upstream: { host: upstream.address, port: upstream.port }, forwardTimeoutMs: 2000 });
    t.ask(query('example.org', 'AAAA', { id: 9 }));
    t.advance(1999);
    t.dns.tick();
    assert.equal(t.transport.take().length, 0);
    t.advance(1);
    t.dns.tick();
    const sent = t.transport.take();
    assert.equal(sent.length, 1);
    const r = decode(sent[0]!.bytes);
    assert.deepEqual([r.rcode, r.id, r.question], ['SERVFAIL', 9, 'example.org']);
    assert.equal(t.dns.status().counters.forwardTimeouts, 1);
  });

  it('a full forwarding table answers SERVFAIL at once', async () => {
    const t = await setup({ upstream: { host: upstream.address, port: upstream.port }, maxPendingForwards: 2 });
    t.ask(query('a.example'));
    t.ask(query('b.example'));
    const r = t.answer('c.example');
    assert.equal(r.rcode, 'SERVFAIL');
    assert.equal(t.dns.status().counters.pendingFull, 1);
  });
});

describe('bounds', () => {
  it('oversized queries get FORMERR, short ones and responses are dropped', async () => {
    const t = await setup();
    const big = new Uint8Array(600);
    big.set(query('bootstrap.jami.net'));
    const sent = t.ask(big);
    assert.equal(decode(sent[0]!.bytes).rcode, 'FORMERR');
    assert.equal(t.ask(new Uint8Array(11)).length, 0);
    const response = query('bootstrap.jami.net');
    response[2] = (response[2] ?? 0) | 0x80;
    assert.equal(t.ask(response).length, 0);
    const c = t.dns.status().counters;
    assert.deepEqual([c.tooLarge, c.formerr, c.tooShort, c.notAQuery], [1, 1, 1, 1]);
  });

  it('malformed queries get FORMERR with their id', async () => {
    const t = await setup();
    const twoQuestions = query('bootstrap.jami.net', 'A', { id: 5 });
    twoQuestions[5] = 2;
    const truncated = query('bootstrap.jami.net', 'A', { id: 6 }).slice(0, 20);
    const dotInLabel = Uint8Array.of(0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 18, ...Buffer.from('bootstrap.jami.net'), 0, 0, 1, 0, 1);
    for (const [bytes, id] of [
      [twoQuestions, 5],
      [truncated, 6],
      [dotInLabel, 7],
    ] as const) {
      const sent = t.ask(bytes);
      assert.equal(sent.length, 1);
      const r = decode(sent[0]!.bytes);
      assert.deepEqual([r.rcode, r.id], ['FORMERR', id]);
    }
  });

  it('other opcodes get NOTIMP', async () => {
    const t = await setup();
    const q = query('bootstrap.jami.net');
    q[2] = (q[2] ?? 0) | (2 << 3); // opcode STATUS
    assert.equal(decode(t.ask(q)[0]!.bytes).rcode, 'NOTIMP');
  });

  it('a source over its rate is dropped, others still answered; sources tracked are bounded', async () => {
    const t = await setup({ queriesPerSecond: 10, queryBurst: 5, maxSources: 3 });
    let answered = 0;
    for (let i = 0; i < 8; i++) answered += t.ask(query('bootstrap.jami.net')).length;
    assert.equal(answered, 5);
    assert.equal(t.ask(query('bootstrap.jami.net'), phone2).length, 1);
    t.advance(100); // one token back
    assert.equal(t.ask(query('bootstrap.jami.net')).length, 1);
    for (let i = 0; i < 10; i++) t.ask(query('x.example'), { address: `10.9.0.${i}`, port: 1, family: 4 });
    assert.equal(t.dns.status().trackedSources, 3);
    assert.equal(t.dns.status().counters.rateLimited, 3);
  });
});

describe('status', () => {
  it('counts queries and distinct devices per Jami name over the last hour', async () => {
    const t = await setup();
    t.answer('bootstrap.jami.net', 'A', phone1);
    t.answer('bootstrap.jami.net', 'AAAA', phone1);
    t.answer('bootstrap.jami.net', 'A', phone2);
    t.advance(30 * 60_000);
    t.answer('turn.jami.net', 'A', phone2);
    t.answer('config.jami.net', 'A', phone2);
    let names = t.dns.status().names;
    assert.deepEqual(names['bootstrap.jami.net'], { policy: 'box', queries: 3, devicesLastHour: 2 });
    assert.deepEqual(names['turn.jami.net'], { policy: 'box', queries: 1, devicesLastHour: 1 });
    assert.deepEqual(names['config.jami.net'], { policy: 'nxdomain', queries: 1, devicesLastHour: 1 });
    assert.deepEqual(names['ns.jami.net'], { policy: 'upstream-or-nxdomain', queries: 0, devicesLastHour: 0 });
    t.advance(31 * 60_000);
    t.dns.tick();
    names = t.dns.status().names;
    assert.equal(names['bootstrap.jami.net']?.devicesLastHour, 0);
    assert.equal(names['bootstrap.jami.net']?.queries, 3);
    assert.equal(names['turn.jami.net']?.devicesLastHour, 1);
  });

  it('devices remembered per name are bounded', async () => {
    const t = await setup({ maxDevicesPerName: 4 });
    for (let i = 0; i < 10; i++) t.answer('turn.jami.net', 'A', { address: `10.1.0.${100 + i}`, port: 1, family: 4 });
    const s = t.dns.status();
    assert.equal(s.names['turn.jami.net']?.devicesLastHour, 4);
    assert.equal(s.counters.devicesEvicted, 6);
  });
});
