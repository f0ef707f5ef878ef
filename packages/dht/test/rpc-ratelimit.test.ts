import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../src/rpc/rate-limiter.js';
import { sourceGroup } from '../src/routing/source-group.js';
import { createHarness, type Probe } from './rpc-harness.js';

function burst(probe: Probe, family: 4 | 6, count: number): number[] {
  const tids: number[] = [];
  for (let i = 0; i < count; i++) tids.push(probe.request(family, { type: 'ping', id: probe.id }));
  return tids;
}

function answered(probe: Probe, tids: number[]): number {
  const wanted = new Set(tids);
  return probe.take().filter((r) => r.msg.kind === 'reply' && wanted.has(r.msg.tid)).length;
}

describe('rate limiting', () => {
  it('answers exactly 1024 requests per second from one IP, then again after the window', async () => {
    const h = await createHarness();
    const p = await h.probe();
    const tids = burst(p, 4, 1500);
    h.settle(5);
    assert.equal(answered(p, tids), 1024);
    assert.equal(h.node.status().counters.dropped.ratelimited, 476);
    // Another IP is not affected.
    const q = await h.probe();
    const other = burst(q, 4, 10);
    h.settle(5);
    assert.equal(answered(q, other), 10);
    h.settle(1100);
    p.take();
    const later = burst(p, 4, 20);
    h.settle(5);
    assert.equal(answered(p, later), 20);
    await h.stop();
  });

  it('groups IPv6 sources by /64', async () => {
    const h = await createHarness({ rateLimit: { perIp: 100 } });
    const a = await h.probe({ address6: '2001:db8:1:1::a' });
    const b = await h.probe({ address6: '2001:db8:1:1::b' });
    const c = await h.probe({ address6: '2001:db8:1:2::c' });
    const ta = burst(a, 6, 80);
    const tb = burst(b, 6, 80);
    const tc = burst(c, 6, 80);
    h.settle(5);
    assert.equal(answered(a, ta) + answered(b, tb), 100);
    assert.equal(answered(c, tc), 80);
    await h.stop();
  });

  it('applies the global limit across sources, and null disables limits', async () => {
    const h = await createHarness({ rateLimit: { perIp: -1, global: 50 } });
    const a = await h.probe();
    const b = await h.probe();
    const ta = burst(a, 4, 40);
    const tb = burst(b, 4, 40);
    h.settle(5);
    assert.equal(answered(a, ta) + answered(b, tb), 50);
    await h.stop();
    const free = await createHarness({ rateLimit: null });
    const p = await free.probe();
    const tids = burst(p, 4, 3000);
    free.settle(5);
    assert.equal(answered(p, tids), 3000);
    await free.stop();
  });

  it('slides: requests leave the window one second after they were counted', () => {
    const limiter = new RateLimiter({ perIp: 10, global: -1, maxTrackedIps: 4 });
    let t = 1_000_000;
    for (let i = 0; i < 10; i++) assert.ok(limiter.allow('x', t));
    assert.equal(limiter.allow('x', t), false);
    t += 500;
    assert.equal(limiter.allow('x', t), false);
    t += 550;
    assert.ok(limiter.allow('x', t));
  });

  it('tracks a bounded number of sources', () => {
    const limiter = new RateLimiter({ perIp: 1, global: -1, maxTrackedIps: 2 });
    const t = 5_000_000;
    assert.ok(limiter.allow('a', t));
    assert.ok(limiter.allow('b', t));
    assert.ok(limiter.allow('c', t), 'untracked source passes under the global limit');
    assert.equal(limiter.tracked, 2);
    assert.equal(limiter.untracked, 1);
    // Idle sources are forgotten to make room.
    assert.ok(limiter.allow('c', t + 2000));
    assert.ok(limiter.tracked <= 2);
  });

  it('100k distinct sources in one second: bounded memory, and no full scan of the table per new source', () => {
    // Spoofed UDP sources are free: when every tracked source is active, looking for idle ones at
    // each new source made each datagram cost a walk over the whole table (~30 µs at 4096).
    const limiter = new RateLimiter({ perIp: 1024, global: -1, maxTrackedIps: 4096 });
    const t = 7_000_000;
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) {
      assert.ok(limiter.allow(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, t + Math.floor(i / 100)));
    }
    const elapsed = performance.now() - started;
    assert.equal(limiter.tracked, 4096);
    assert.equal(limiter.untracked, 100_000 - 4096);
    assert.ok(elapsed < 1000, `100k new sources took ${elapsed.toFixed(0)} ms`);
    // Sources idle for a second still make room for new ones.
    assert.ok(limiter.allow('192.0.2.1', t + 3000));
    assert.equal(limiter.tracked, 1);
  });

  it('keys IPv6 by /64 and IPv4 by address', () => {
    assert.equal(sourceGroup('2001:db8::1'), sourceGroup('2001:db8:0:0:ffff::2'));
    assert.notEqual(sourceGroup('2001:db8::1'), sourceGroup('2001:db8:0:1::1'));
    assert.equal(sourceGroup('10.1.2.3'), '10.1.2.3');
  });

  it('keys link-local IPv6 by address: every host of a LAN shares fe80::/64', () => {
    assert.notEqual(sourceGroup('fe80::1'), sourceGroup('fe80::2'));
    assert.equal(sourceGroup('fe80::1'), sourceGroup('fe80:0:0:0:0:0:0:1'));
    const limiter = new RateLimiter({ perIp: 2, global: 100, maxTrackedIps: 16 });
    for (const address of ['fe80::1', 'fe80::2']) {
      assert.ok(limiter.allow(sourceGroup(address), 0));
      assert.ok(limiter.allow(sourceGroup(address), 0));
      assert.ok(!limiter.allow(sourceGroup(address), 0), `${address} is held to its own budget`);
    }
  });
});
