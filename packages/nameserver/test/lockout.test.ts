/**
 * Finding 5 (registration lock-out) and the smaller findings of the reliability audit that live in
 * the name server: a rate-limit table filled by one-shot requests or by one host's IPv6 /64, RSA
 * keys with a huge public exponent, and an overlong name answered 404 ("name taken" in jamid).
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { clientGroup } from '../src/index.js';
import { createRateLimiter } from '../src/rate-limiter.js';
import { httpRequest, registrationBody, startHarness, type Account } from './helpers.js';

describe('registration lock-out', () => {
  it('groups IPv6 clients by /64, link-local and IPv4 by address', () => {
    assert.equal(clientGroup('2001:db8:1:2::1'), clientGroup('2001:db8:1:2:ffff:1234:5678:9abc'));
    assert.notEqual(clientGroup('2001:db8:1:2::1'), clientGroup('2001:db8:1:3::1'));
    assert.notEqual(clientGroup('fe80::1%eth0'), clientGroup('fe80::2%eth0'));
    assert.equal(clientGroup('fe80::1%eth0'), clientGroup('fe80:0:0:0:0:0:0:1'));
    assert.equal(clientGroup('::ffff:192.0.2.7'), '192.0.2.7');
    assert.notEqual(clientGroup('192.0.2.7'), clientGroup('192.0.2.8'));
  });

  it('one host cycling through addresses of its /64 is limited as one client', () => {
    const limiter = createRateLimiter(10, 60_000, 4096);
    let allowed = 0;
    for (let i = 0; i < 5000; i++) if (limiter.allow(`2001:db8:aa:bb:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`, 1000)) allowed += 1;
    assert.equal(allowed, 10);
    assert.equal(limiter.tracked(), 1);
    // While a link-local neighbour is not affected.
    assert.ok(limiter.allow('fe80::1234', 1000));
  });

  it('4,095 one-shot clients do not lock a new client out, and limited clients stay limited', () => {
    const limiter = createRateLimiter(10, 60_000, 4096);
    const abuser = '198.51.100.1';
    for (let i = 0; i < 10; i++) assert.ok(limiter.allow(abuser, 0));
    for (let i = 0; i < 8000; i++) limiter.allow(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1 + i / 1000);
    assert.equal(limiter.tracked(), 4096);
    assert.ok(limiter.allow('203.0.113.9', 10), 'a new client was refused while the table was full');
    assert.equal(limiter.allow(abuser, 11), false, 'the abuser got a fresh budget by being pushed out');
  });
});

const generate = promisify(generateKeyPair);

async function accountWithExponent(publicExponent: number): Promise<Account> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048, publicExponent });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const pem = String(publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    privateKey,
    publicKey,
    addr: createHash('sha1').update(der).digest('hex'),
    publickey: Buffer.concat([Buffer.from(pem, 'latin1'), Buffer.of(0)]).toString('base64'),
  };
}

describe('smaller findings', () => {
  it('refuses an RSA key with a huge public exponent (400, not verified), accepts 65537', async () => {
    const h = await startHarness();
    try {
      const huge = await accountWithExponent(0x7fffffff);
      const answer = await httpRequest(h.port, 'POST', '/name/bigexp', registrationBody(huge, 'bigexp'));
      assert.equal(answer.status, 400, answer.body);
      assert.equal(h.server.status().rejected['key-size'], 1);
      const normal = await accountWithExponent(65537);
      assert.equal((await httpRequest(h.port, 'POST', '/name/bigexp', registrationBody(normal, 'bigexp'))).status, 200);
    } finally {
      await h.stop();
    }
  });

  it('POST /name/<3000 characters> answers 400 "invalid name", never 404 (jamid: "name taken")', async () => {
    const h = await startHarness();
    try {
      const long = 'a'.repeat(3000);
      const post = await httpRequest(h.port, 'POST', `/name/${long}`, '{}');
      assert.equal(post.status, 400);
      assert.match(post.body, /invalid name/);
      assert.equal((await httpRequest(h.port, 'GET', `/name/${long}`)).status, 400);
      assert.equal((await httpRequest(h.port, 'GET', `/addr/${long}`)).status, 400);
    } finally {
      await h.stop();
    }
  });
});
