/**
 * checkIdentityAsync runs the RSA verification on libuv's thread pool (used by replication to
 * verify whole pages of records on every core). It must reach the same verdict as checkIdentity,
 * with the same error, for good records and for every kind of bad one.
 */
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkIdentity, checkIdentityAsync } from '../src/identity.js';

const bounds = { minKeyBits: 2048, maxKeyBits: 4096 };

function claimFor(name: string, bits = 2048) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const signature = sign('sha512', Buffer.from(name, 'utf8'), { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
  return { name, addr: createHash('sha1').update(der).digest('hex'), publickey: Buffer.from(pem).toString('base64'), signature: signature.toString('base64') };
}

const alice = claimFor('alice');
const bob = claimFor('bob');
const small = claimFor('carol', 1024);

function flipByte(b64: string, at: number): string {
  const bytes = Buffer.from(b64, 'base64');
  const i = at % bytes.length;
  bytes[i] = (bytes[i] as number) ^ 0x01;
  return bytes.toString('base64');
}

async function same(claim: typeof alice): Promise<ReturnType<typeof checkIdentity>> {
  const inline = checkIdentity(claim, bounds);
  const pooled = await checkIdentityAsync(claim, bounds);
  assert.equal(pooled.ok, inline.ok);
  if (!inline.ok && !pooled.ok) assert.equal(pooled.error, inline.error);
  if (inline.ok && pooled.ok) assert.equal(pooled.value.jamiId, inline.value.jamiId);
  return inline;
}

describe('checkIdentityAsync', () => {
  it('accepts a valid record, as checkIdentity does', async () => {
    const v = await same(alice);
    assert.ok(v.ok);
  });

  it('refuses what checkIdentity refuses, with the same error', async () => {
    const cases: Array<[typeof alice, string]> = [
      [{ ...alice, signature: flipByte(alice.signature, 7) }, 'signature verification failed'],
      [{ ...alice, name: 'alicf' }, 'signature verification failed'],
      [{ ...alice, signature: bob.signature }, 'signature verification failed'],
      [{ ...alice, addr: bob.addr }, 'publickey does not match addr'],
      [{ ...alice, publickey: bob.publickey }, 'publickey does not match addr'],
      [{ ...alice, publickey: 'bm90IGEga2V5' }, 'publickey not found or invalid'],
      [{ ...alice, signature: 'c2hvcnQ=' }, 'signature not found or invalid'],
      [small, 'key size not allowed'],
    ];
    for (const [claim, error] of cases) {
      const v = await same(claim);
      assert.ok(!v.ok);
      assert.equal(v.error, error);
    }
  });

  it('agrees with checkIdentity on corrupted signatures and keys, many at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('signature', 'publickey', 'name') as fc.Arbitrary<'signature' | 'publickey' | 'name'>, fc.nat(), fc.boolean(), async (field, at, corrupt) => {
        const claim = corrupt ? { ...alice, [field]: field === 'name' ? `${alice.name}${at % 10}` : flipByte(alice[field], at) } : alice;
        await same(claim);
      }),
      { numRuns: 150 },
    );
    // Concurrent verifications (as replication runs a whole page) keep each verdict with its record.
    const claims = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? { ...bob, signature: flipByte(bob.signature, i) } : i % 2 === 0 ? alice : bob));
    const verdicts = await Promise.all(claims.map((c) => checkIdentityAsync(c, bounds)));
    verdicts.forEach((v, i) => assert.equal(v.ok, i % 3 !== 0, `claim ${i}`));
  });
});
