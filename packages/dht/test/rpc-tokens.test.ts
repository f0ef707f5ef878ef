import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenIssuer } from '../src/rpc/tokens.js';
import { seededRandom } from '../src/seeded-random.js';

function issuer(seed = 1): { tokens: TokenIssuer; now: { t: number } } {
  const rng = seededRandom(seed);
  const now = { t: 1_000_000 };
  const tokens = new TokenIssuer((n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * 256);
    return out;
  }, now.t);
  return { tokens, now };
}

describe('write tokens', () => {
  it('one token per address and port, the same at every request', () => {
    const { tokens } = issuer();
    const a = tokens.issue('10.0.0.1', 4222);
    assert.equal(a.length, 32);
    assert.deepEqual(tokens.issue('10.0.0.1', 4222), a);
    assert.notDeepEqual(tokens.issue('10.0.0.1', 4223), a);
    assert.notDeepEqual(tokens.issue('10.0.0.2', 4222), a);
    assert.ok(tokens.check(a, '10.0.0.1', 4222));
    assert.ok(tokens.check(a, '10.0.0.1', 4222, tokens.issue('10.0.0.1', 4222)));
    assert.ok(!tokens.check(a, '10.0.0.1', 4223));
    assert.ok(!tokens.check(a, '10.0.0.2', 4222));
    assert.ok(!tokens.check(a.subarray(1), '10.0.0.1', 4222));
    assert.ok(!tokens.check(undefined, '10.0.0.1', 4222));
  });

  it('stays correct past the cache bound: tokens are recomputed, never mixed up', () => {
    const { tokens } = issuer();
    const first = tokens.issue('10.0.0.1', 1);
    // More (address, port) pairs than the cache keeps, over many addresses and ports.
    for (let i = 0; i < 10_000; i++) tokens.issue(`10.0.${i >> 8}.${i & 255}`, 1000 + (i % 7));
    assert.deepEqual(tokens.issue('10.0.0.1', 1), first);
    const again = issuer();
    assert.deepEqual(again.tokens.issue('10.0.39.15', 1000 + ((39 * 256 + 15) % 7)), tokens.issue('10.0.39.15', 1000 + ((39 * 256 + 15) % 7)));
  });

  it('the previous secret stays valid for one rotation', () => {
    const { tokens, now } = issuer();
    const old = tokens.issue('10.0.0.1', 4222);
    now.t += 46 * 60_000;
    tokens.maybeRotate(now.t);
    assert.notDeepEqual(tokens.issue('10.0.0.1', 4222), old);
    assert.ok(tokens.check(old, '10.0.0.1', 4222));
    now.t += 46 * 60_000;
    tokens.maybeRotate(now.t);
    assert.ok(!tokens.check(old, '10.0.0.1', 4222));
  });
});
