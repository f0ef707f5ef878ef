/**
 * Everything that parses bytes or text from outside, fed random and mutated input (fast-check,
 * fixed seed): nothing throws, results keep their invariants, and the responder answers each
 * datagram at most once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzRuns } from '@lanbox/fuzz-budget';
import * as packet from 'dns-packet';
import { boxAddressesFor, createJamiDns, createMemoryTransport, decodeQuery, decodeUpstreamReply, hasDefaultRoute } from '../src/index.js';
import { query, TWO_LANS } from './queries.js';

const SEED = 0x1d4e;
const RUNS = fuzzRuns(3000);

const seeds = [
  query('bootstrap.jami.net'),
  query('turn.jami.net', 'AAAA', { edns: true }),
  query('example.org', 'TXT'),
  new Uint8Array(
    packet.encode({ id: 1, type: 'response', questions: [{ name: 'x.org', type: 'A' }], answers: [{ type: 'A', name: 'x.org', data: '1.2.3.4' }] }),
  ),
];

/** A valid message with some bytes overwritten, truncated or extended. */
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.nat({ max: 80 }),
    fc.uint8Array({ maxLength: 40 }),
  )
  .map(([base, edits, cut, tail]) => {
    const b = new Uint8Array([...base.slice(0, Math.max(0, base.length - cut)), ...tail]);
    for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
    return b;
  });

const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 700 }), mutated);

describe('fuzz', () => {
  it('decodeQuery never throws and keeps its invariants', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const r = decodeQuery(bytes, 512);
        if (r.ok) {
          assert.ok(bytes.length >= 12 && bytes.length <= 512);
          assert.ok(r.value.name.length <= 254);
          assert.ok(r.value.question.length >= 5);
        } else if (r.error.kind === 'too-short') assert.ok(bytes.length < 12);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('decodeUpstreamReply never throws', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const r = decodeUpstreamReply(bytes, 4096);
        if (r.ok) assert.ok(r.value.id >= 0 && r.value.id <= 0xffff);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the responder answers every datagram at most once, and only to its sender', async () => {
    const transport = createMemoryTransport();
    let now = 0;
    const dns = createJamiDns(
      { upstream: { host: '10.1.0.254', port: 53 }, queryBurst: 1e9, queriesPerSecond: 1e9 },
      { transport, clock: { now: () => now }, interfaces: () => TWO_LANS },
    );
    await dns.start();
    const from = { address: '10.1.0.50', port: 1000, family: 4 as const };
    const upstream = { address: '10.1.0.254', port: 53, family: 4 as const };
    fc.assert(
      fc.property(anyBytes, fc.boolean(), (bytes, toUpstream) => {
        if (toUpstream) transport.upstream(bytes, upstream);
        else transport.query(bytes, from);
        now += 10;
        dns.tick();
        const sent = transport.take();
        assert.ok(sent.length <= 2, `${sent.length} datagrams for one input`);
        for (const s of sent) {
          assert.ok(s.bytes.length >= 12 && s.bytes.length <= 4096);
          assert.deepEqual(s.to, s.kind === 'forward' ? upstream : from);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    now += 10_000;
    dns.tick();
    assert.equal(dns.status().pendingForwards, 0);
    await dns.stop();
  });

  it('hasDefaultRoute never throws on any text', () => {
    const line = fc
      .array(fc.constantFrom('00000000', '0003', 'eth0', 'lo', '00', '00000000000000000000000000000000', 'zz', '\t', ' ', '0001'), { maxLength: 12 })
      .map((w) => w.join(' '));
    const table = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.array(line, { maxLength: 10 }).map((l) => l.join('\n')),
    );
    fc.assert(
      fc.property(table, table, (a, b) => typeof hasDefaultRoute(a, b) === 'boolean'),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('boxAddressesFor never throws on any client address or interface table', () => {
    const addr = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV6().map((a) => `${a}%eth0`),
    );
    const entry = fc.record({
      address: addr,
      family: fc.constantFrom('IPv4', 'IPv6', 4, 6, 'x'),
      internal: fc.boolean(),
      cidr: fc.option(
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.tuple(addr, fc.integer({ min: -5, max: 200 })).map(([a, n]) => `${a}/${n}`),
        ),
      ),
    });
    const table = fc.dictionary(fc.constantFrom('eth0', 'wlan0', 'lo'), fc.array(entry, { maxLength: 4 }));
    fc.assert(
      fc.property(addr, table, (client, t) => {
        const r = boxAddressesFor(client, t);
        assert.ok(r.a.length <= 8 && r.aaaa.length <= 8);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('default route', () => {
  it('reads the IPv4 and IPv6 tables as the kernel prints them', () => {
    const v4Header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
    const v4Default = 'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n';
    const v4Lan = 'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n';
    const v6Default =
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0\n';
    const v6Unreachable =
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n';
    const v6Lan =
      'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n';
    assert.equal(hasDefaultRoute(v4Header + v4Default + v4Lan, v6Unreachable), true);
    assert.equal(hasDefaultRoute(v4Header + v4Lan, v6Lan + v6Unreachable), false);
    assert.equal(hasDefaultRoute(v4Header + v4Lan, v6Default), true);
    assert.equal(hasDefaultRoute('', ''), false);
  });
});
